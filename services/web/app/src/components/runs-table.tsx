import type { Run } from '@sparkwing/contracts';
import { formatDuration, runElapsed, shortSha } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { ReasonBadge, StatusBadge, Time } from './bits.js';

function trigger(run: Run): string {
  const t = run.trigger;
  const what = t.pr_number !== null ? `PR #${t.pr_number}${t.fork ? ' (fork)' : ''}` : (t.event ?? t.kind);
  return t.actor ? `${what} · ${t.actor}` : what;
}

export function RunsTable({ runs }: { runs: Run[] }) {
  return (
    <div className="table-wrap">
      <table className="table runs">
        <thead>
          <tr>
            <th scope="col">Pipeline</th>
            <th scope="col">Status</th>
            <th scope="col" className="hide-sm">
              Trigger
            </th>
            <th scope="col" className="hide-sm">
              Branch / commit
            </th>
            <th scope="col">Started</th>
            <th scope="col" className="num hide-sm">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} data-run-id={run.id}>
              <td>
                <Link href={`/runs/${encodeURIComponent(run.id)}`} className="strong">
                  {run.pipeline}
                </Link>
                <div className="muted small mono">{run.id}</div>
              </td>
              <td>
                <div className="status-cell">
                  <StatusBadge status={run.status} />
                  <ReasonBadge reason={run.failure_reason} />
                </div>
              </td>
              <td className="hide-sm" title={run.trigger.rule ?? undefined} data-testid="run-trigger">
                {trigger(run)}
              </td>
              <td className="hide-sm mono small">
                {run.git ? (
                  <>
                    {run.git.branch ?? '—'} <span className="muted">{shortSha(run.git.sha)}</span>
                  </>
                ) : (
                  <span className="muted">
                    {run.local_path ? 'local tree' : run.upload_ref ? 'upload' : '—'}
                  </span>
                )}
              </td>
              <td className="nowrap">
                <Time iso={run.started_at ?? run.created_at} />
                <div className="show-sm muted small">{formatDuration(runElapsed(run))}</div>
              </td>
              <td className="num hide-sm">{formatDuration(runElapsed(run))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
