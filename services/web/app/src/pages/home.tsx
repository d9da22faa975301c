import { runListSchema } from '@sparkwing/contracts';
import { Empty, ErrorState, Loading } from '../components/bits.js';
import { RunsTable } from '../components/runs-table.js';
import { apiGet, paths } from '../lib/api.js';
import { useResource } from '../lib/use-resource.js';

export function HomePage() {
  const runs = useResource(() => apiGet(paths.runs(50), runListSchema), [], 5_000);
  const failed = runs.data?.runs.filter((run) => run.status === 'failed').length ?? 0;
  return (
    <section aria-labelledby="home-title">
      <div className="page-head">
        <h1 id="home-title">Recent runs</h1>
        {runs.data && runs.data.runs.length > 0 && (
          <p className="muted">
            {runs.data.runs.length} most recent{failed > 0 ? `, ${failed} failed` : ''}
          </p>
        )}
      </div>
      {runs.error && !runs.data && <ErrorState error={runs.error} onRetry={runs.reload} />}
      {runs.loading && !runs.data && <Loading label="Loading runs" />}
      {runs.data && runs.data.runs.length === 0 && (
        <Empty title="No runs yet">
          Trigger one with <code>sparkwing run &lt;pipeline&gt;</code> or push to a repository with a webhook.
        </Empty>
      )}
      {runs.data && runs.data.runs.length > 0 && <RunsTable runs={runs.data.runs} />}
    </section>
  );
}
