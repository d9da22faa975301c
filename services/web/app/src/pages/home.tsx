import { type Run, runListSchema } from '@sparkwing/contracts';
import { useState } from 'react';
import { Empty, ErrorState, Loading } from '../components/bits.js';
import { RunFiltersBar } from '../components/run-filters.js';
import { RunsTable } from '../components/runs-table.js';
import { type ApiFailure, apiGet, paths, type RunFilters } from '../lib/api.js';
import { useResource } from '../lib/use-resource.js';

export function HomePage() {
  const [filters, setFilters] = useState<RunFilters>({});
  const key = JSON.stringify(filters);
  const runs = useResource(() => apiGet(paths.runs(50, undefined, filters), runListSchema), [key], 5_000);
  // Older pages are fetched on demand and kept while the first page keeps refreshing.
  const [older, setOlder] = useState<Run[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiFailure | null>(null);
  const nextCursor = cursor === undefined ? runs.data?.next_cursor : cursor;
  const first = runs.data?.runs ?? [];
  const seen = new Set(first.map((run) => run.id));
  const all = [...first, ...older.filter((run) => !seen.has(run.id))];
  const failed = all.filter((run) => run.status === 'failed').length;

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await apiGet(paths.runs(50, nextCursor, filters), runListSchema);
      setOlder((previous) => [...previous, ...page.runs]);
      setCursor(page.next_cursor);
    } catch (error) {
      setMoreError(error as ApiFailure);
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section aria-labelledby="home-title">
      <div className="page-head">
        <h1 id="home-title">Recent runs</h1>
        {all.length > 0 && (
          <p className="muted">
            {all.length} most recent{failed > 0 ? `, ${failed} failed` : ''}
          </p>
        )}
      </div>
      <RunFiltersBar
        value={filters}
        onChange={(next) => {
          setFilters(next);
          setOlder([]);
          setCursor(undefined);
        }}
      />
      {runs.error && !runs.data && <ErrorState error={runs.error} onRetry={runs.reload} />}
      {runs.loading && !runs.data && <Loading label="Loading runs" />}
      {runs.data && all.length === 0 && key !== '{}' && <Empty title="No runs match these filters" />}
      {runs.data && all.length === 0 && key === '{}' && (
        <Empty title="No runs yet">
          Trigger one with <code>sparkwing run &lt;pipeline&gt;</code> or push to a repository with a webhook.
        </Empty>
      )}
      {all.length > 0 && <RunsTable runs={all} />}
      {moreError && <ErrorState error={moreError} />}
      {nextCursor && (
        <p className="more">
          <button type="button" className="btn" disabled={loadingMore} onClick={() => void loadMore()}>
            {loadingMore ? 'Loading…' : 'Show older runs'}
          </button>
        </p>
      )}
    </section>
  );
}
