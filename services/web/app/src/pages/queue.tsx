import { queueSchema } from '@sparkwing/contracts';
import { Chips, Empty, ErrorState, Loading } from '../components/bits.js';
import { apiGet, paths } from '../lib/api.js';
import { formatDuration } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

export function QueuePage() {
  const queue = useResource(() => apiGet(paths.queue(), queueSchema), [], 3_000);
  const data = queue.data;
  return (
    <section aria-labelledby="queue-title">
      <div className="page-head">
        <h1 id="queue-title">Queue</h1>
        {data && data.oldest_wait_s !== null && (
          <p className="muted">Oldest wait {formatDuration(data.oldest_wait_s * 1_000)}</p>
        )}
      </div>
      {queue.error && !data && <ErrorState error={queue.error} onRetry={queue.reload} />}
      {queue.loading && !data && <Loading label="Loading the queue" />}
      {data && data.unsatisfied_label_sets.length > 0 && (
        <div className="banner banner-warn" role="note">
          <div className="banner-title">
            <strong>No live runner can take some of this work</strong>
          </div>
          <p>These label sets are required by ready jobs but no live runner advertises them:</p>
          <ul>
            {data.unsatisfied_label_sets.map((set) => (
              <li key={set.join('|')}>
                <Chips items={set} empty="(no labels)" />
              </li>
            ))}
          </ul>
          <p className="banner-action">
            <strong>What to do:</strong> start a runner with matching <code>--label</code> flags, or change
            the jobs' <code>requires</code>. Ready jobs fail <code>queue_timeout</code> if nothing claims
            them.
          </p>
        </div>
      )}
      {data && data.ready.length === 0 && (
        <Empty title="Nothing is waiting">Every ready job has been picked up by a runner.</Empty>
      )}
      {data && data.ready.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col" className="hide-sm">
                  Pipeline
                </th>
                <th scope="col">Requires</th>
                <th scope="col" className="num">
                  Waiting
                </th>
              </tr>
            </thead>
            <tbody>
              {data.ready.map((entry) => (
                <tr key={`${entry.run_id}/${entry.node_id}`} className={entry.satisfiable ? '' : 'row-warn'}>
                  <td>
                    <Link
                      href={`/runs/${encodeURIComponent(entry.run_id)}/nodes/${encodeURIComponent(entry.node_id)}`}
                    >
                      {entry.node_id}
                    </Link>
                    <div className="muted small mono">{entry.run_id}</div>
                  </td>
                  <td className="hide-sm">{entry.pipeline}</td>
                  <td>
                    <Chips items={entry.requires} empty="any runner" />
                    {!entry.satisfiable && <div className="warn-text small">no live runner matches</div>}
                  </td>
                  <td className="num">{formatDuration(entry.wait_s * 1_000)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
