import { type PipelineSummary, pipelineListSchema } from '@sparkwing/contracts';
import {
  Empty,
  ErrorState,
  Loading,
  ReasonBadge,
  ReasonBanner,
  StatusBadge,
  Time,
} from '../components/bits.js';
import { apiGet, paths } from '../lib/api.js';
import { formatDuration, runElapsed } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

function PipelineCard({ summary }: { summary: PipelineSummary }) {
  const run = summary.last_run;
  const failedWithReason = summary.status === 'failed' && summary.failure_reason;
  return (
    <article
      className={`card pipeline ${summary.status === 'failed' ? 'card-failed' : ''}`}
      data-pipeline={summary.pipeline}
    >
      <header className="card-head">
        <h2>{summary.pipeline}</h2>
        <div className="status-cell">
          <StatusBadge status={summary.status} />
          <ReasonBadge reason={summary.failure_reason} />
        </div>
      </header>
      <p className="muted small">
        Last run <Link href={`/runs/${encodeURIComponent(run.id)}`}>{run.id}</Link> ·{' '}
        <Time iso={run.started_at ?? run.created_at} /> · {formatDuration(runElapsed(run))} ·{' '}
        {summary.run_count} run{summary.run_count === 1 ? '' : 's'}
      </p>
      {failedWithReason && summary.failure_reason && (
        <ReasonBanner reason={summary.failure_reason}>
          <p>
            <Link href={`/runs/${encodeURIComponent(run.id)}`} className="btn btn-small">
              Open the failed run
            </Link>
          </p>
        </ReasonBanner>
      )}
      {summary.status === 'failed' && !summary.failure_reason && (
        <p className="note">
          The last run failed in the pipeline itself (a command or test): read the logs of the failed job.
        </p>
      )}
    </article>
  );
}

export function PipelinesPage() {
  const list = useResource(() => apiGet(paths.pipelines(), pipelineListSchema), [], 10_000);
  return (
    <section aria-labelledby="pipelines-title">
      <div className="page-head">
        <h1 id="pipelines-title">Pipelines</h1>
      </div>
      {list.error && !list.data && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading label="Loading pipelines" />}
      {list.data && list.data.pipelines.length === 0 && (
        <Empty title="No pipelines have run yet">
          Pipelines appear here after their first run. Register them in <code>.sparkwing/sparkwing.yaml</code>
          .
        </Empty>
      )}
      <div className="cards">
        {list.data?.pipelines.map((summary) => (
          <PipelineCard key={summary.pipeline} summary={summary} />
        ))}
      </div>
    </section>
  );
}
