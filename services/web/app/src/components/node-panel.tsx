import { elapsedMs as elapsed, isTerminalNodeStatus, type RunNode } from '@sparkwing/contracts';
import { formatDuration } from '../lib/format.js';
import { Chips, ReasonBadge, ReasonBanner, StatusBadge, Time } from './bits.js';
import { LogView } from './log-view.js';
import { ResourcesPanel } from './resources.js';

/** Everything about one job: why it failed and what to do, attempts, steps, resources and its log. */
export function NodePanel({ node }: { node: RunNode }) {
  const live = !isTerminalNodeStatus(node.status);
  const reason = node.result?.failure_reason ?? null;
  return (
    <section className="node-panel" aria-labelledby="node-title" data-node={node.id}>
      <header className="node-head">
        <h2 id="node-title">{node.id}</h2>
        <StatusBadge status={node.status} />
        <ReasonBadge reason={reason} />
        <span className="muted small">
          attempt {node.attempt} of {node.retries + 1}
          {node.runner_id && (
            <>
              {' '}
              · runner <code>{node.runner_id}</code>
            </>
          )}{' '}
          · {formatDuration(elapsed(node))}
        </span>
      </header>
      {node.status_detail && live && <p className="note">{node.status_detail}</p>}
      {reason && <ReasonBanner reason={reason} />}
      <dl className="facts">
        <div>
          <dt>Exit code</dt>
          <dd data-testid="exit-code">{node.result?.exit_code ?? '—'}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={node.started_at} fallback="not yet" />
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            <Time iso={node.finished_at} fallback={live ? 'running' : '—'} />
          </dd>
        </div>
        <div>
          <dt>Requires</dt>
          <dd>
            <Chips items={node.requires} empty="any runner" />
          </dd>
        </div>
      </dl>
      {node.error && (
        <div className="error-box" role="note">
          <strong>Error</strong>
          <pre>{node.error}</pre>
        </div>
      )}
      {node.result && !node.result.success && node.result.logs && (
        <details className="panel" open={!live}>
          <summary className="panel-title">Last output lines</summary>
          <pre className="tail">{node.result.logs}</pre>
        </details>
      )}
      {node.death_log && (
        <details className="panel">
          <summary className="panel-title">Runner death log</summary>
          <pre className="tail">{node.death_log}</pre>
        </details>
      )}
      {node.attempts.length > 0 && (
        <details className="panel" open={node.attempts.length > 1}>
          <summary className="panel-title">Attempts ({node.attempts.length})</summary>
          <div className="table-wrap">
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Status</th>
                  <th scope="col">Runner</th>
                  <th scope="col">Started</th>
                  <th scope="col">Exit</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {node.attempts.map((attempt) => (
                  <tr key={attempt.attempt}>
                    <td>{attempt.attempt}</td>
                    <td>
                      <StatusBadge status={attempt.status} /> <ReasonBadge reason={attempt.failure_reason} />
                    </td>
                    <td className="mono small">{attempt.runner_id ?? '—'}</td>
                    <td>
                      <Time iso={attempt.started_at ?? attempt.claimed_at} />
                    </td>
                    <td>{attempt.exit_code ?? '—'}</td>
                    <td className="small">{attempt.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      )}
      {node.steps.length > 0 && (
        <details className="panel">
          <summary className="panel-title">Steps ({node.steps.length})</summary>
          <ol className="steps">
            {node.steps.map((step) => (
              <li key={step.id}>
                <code>{step.id}</code>
                {step.needs && step.needs.length > 0 && (
                  <span className="muted small"> after {step.needs.join(', ')}</span>
                )}
              </li>
            ))}
          </ol>
        </details>
      )}
      <ResourcesPanel runId={node.run_id} nodeId={node.id} live={live} limits={node.resources} />
      <LogView runId={node.run_id} nodeId={node.id} />
    </section>
  );
}
