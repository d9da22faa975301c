import { isTerminalRunStatus, runDetailSchema, runSchema, triggerResponseSchema } from '@sparkwing/contracts';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { ErrorState, Loading, ReasonBadge, StatusBadge, Time } from '../components/bits.js';
import { Dag } from '../components/dag.js';
import { NodePanel } from '../components/node-panel.js';
import { type ApiFailure, apiGet, apiPost, paths } from '../lib/api.js';
import { formatDuration, runElapsed, shortSha } from '../lib/format.js';
import { Link, navigate } from '../lib/router.js';
import { can, useSession } from '../lib/session.js';
import { useResource } from '../lib/use-resource.js';

const cancelSchema = z.object({ run: runSchema });

export function RunPage({ runId, nodeId }: { runId: string; nodeId: string | null }) {
  const session = useSession();
  const [live, setLive] = useState(true);
  const detail = useResource(() => apiGet(paths.run(runId), runDetailSchema), [runId], live ? 2_000 : null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ApiFailure | null>(null);

  useEffect(() => {
    if (detail.data) setLive(!isTerminalRunStatus(detail.data.run.status));
  }, [detail.data]);

  if (detail.error && !detail.data) return <ErrorState error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading label="Loading the run" />;
  const { run, nodes } = detail.data;
  const selectedId =
    nodeId ??
    nodes.find((n) => n.status === 'failed')?.id ??
    nodes.find((n) => n.status === 'running')?.id ??
    nodes[nodes.length - 1]?.id ??
    null;
  const selected = nodes.find((n) => n.id === selectedId) ?? null;
  const writable = can(session, 'runs.write');
  const terminal = isTerminalRunStatus(run.status);

  const act = async (kind: 'cancel' | 'retry') => {
    setBusy(true);
    setActionError(null);
    try {
      if (kind === 'cancel') {
        await apiPost(paths.cancel(run.id), cancelSchema);
        setLive(true);
        detail.reload();
      } else {
        const created = await apiPost(paths.retry(run.id), triggerResponseSchema);
        navigate(`/runs/${encodeURIComponent(created.run_id)}`);
      }
    } catch (failure) {
      setActionError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="run-page" data-run-status={run.status}>
      <div className="page-head run-head">
        <div>
          <h1>
            {run.pipeline} <StatusBadge status={run.status} /> <ReasonBadge reason={run.failure_reason} />
          </h1>
          <p className="muted small">
            <span className="mono">{run.id}</span> · {run.trigger.kind}
            {run.trigger.actor ? ` by ${run.trigger.actor}` : ''}
            {run.git && (
              <>
                {' '}
                ·{' '}
                <span className="mono">
                  {run.git.branch ?? ''} {shortSha(run.git.sha)}
                </span>
              </>
            )}{' '}
            · started <Time iso={run.started_at} fallback="not yet" /> · {formatDuration(runElapsed(run))}
            {run.retry_of && (
              <>
                {' '}
                · retry of <Link href={`/runs/${encodeURIComponent(run.retry_of)}`}>{run.retry_of}</Link>
              </>
            )}
          </p>
          {run.trigger.rule && (
            <p className="muted small" data-testid="run-trigger-detail">
              {run.trigger.event}
              {run.trigger.ref ? ` ${run.trigger.ref}` : ''}
              {run.trigger.pr_number !== null
                ? ` · PR #${run.trigger.pr_number}${run.trigger.fork ? ' from a fork' : ''}`
                : ''}
              {' · matched '}
              <code>{run.trigger.rule}</code>
              {run.concurrency_group ? ` · concurrency ${run.concurrency_group}` : ''}
            </p>
          )}
          {run.error && <p className="warn-text">{run.error}</p>}
        </div>
        <div className="actions">
          <span className="muted small" aria-live="polite">
            {live ? 'refreshing' : 'finished'}
          </span>
          {writable && !terminal && (
            <button
              type="button"
              className="btn btn-danger"
              disabled={busy || run.cancel_requested}
              onClick={() => void act('cancel')}
            >
              {run.cancel_requested ? 'Cancelling…' : 'Cancel run'}
            </button>
          )}
          {writable && terminal && session.mode === 'cluster' && (
            <button type="button" className="btn" disabled={busy} onClick={() => void act('retry')}>
              Retry
            </button>
          )}
        </div>
      </div>
      {actionError && <ErrorState error={actionError} />}
      {detail.error && <p className="warn-text small">Refresh failed: {detail.error.message}</p>}
      {nodes.length === 0 ? (
        <p className="note">
          {terminal
            ? 'This run has no jobs.'
            : 'Planning: the job graph appears once the pipeline is evaluated.'}
        </p>
      ) : (
        <Dag
          nodes={nodes}
          selected={selectedId}
          hrefFor={(id) => `/runs/${encodeURIComponent(run.id)}/nodes/${encodeURIComponent(id)}`}
        />
      )}
      {selected && <NodePanel key={selected.id} node={selected} />}
    </div>
  );
}
