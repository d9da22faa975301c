import { runnerListSchema } from '@sparkwing/contracts';
import { Chips, Empty, ErrorState, Loading, StatusBadge, Time } from '../components/bits.js';
import { apiGet, paths } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { useResource } from '../lib/use-resource.js';

export function RunnersPage() {
  const list = useResource(() => apiGet(paths.runners(), runnerListSchema), [], 5_000);
  return (
    <section aria-labelledby="runners-title">
      <div className="page-head">
        <h1 id="runners-title">Runners</h1>
      </div>
      {list.error && !list.data && <ErrorState error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading label="Loading runners" />}
      {list.data && list.data.runners.length === 0 && (
        <Empty title="No runners have checked in">
          Runners appear once they send their first heartbeat. Start one with{' '}
          <code>sparkwing-runner agent</code>.
        </Empty>
      )}
      {list.data && list.data.runners.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Runner</th>
                <th scope="col">State</th>
                <th scope="col" className="hide-sm">
                  Labels
                </th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Working on</th>
              </tr>
            </thead>
            <tbody>
              {list.data.runners.map((runner) => (
                <tr key={runner.runner_id}>
                  <td className="mono">
                    {runner.runner_id}
                    {runner.version && <div className="muted small">v{runner.version}</div>}
                  </td>
                  <td>
                    <StatusBadge status={runner.state} />
                  </td>
                  <td className="hide-sm">
                    <Chips items={runner.labels} />
                  </td>
                  <td>
                    <Time iso={runner.last_seen} />
                  </td>
                  <td>
                    {runner.current_nodes.length === 0 ? (
                      <span className="muted">idle</span>
                    ) : (
                      runner.current_nodes.map((node) => (
                        <div key={`${node.run_id}/${node.node_id}`}>
                          <Link
                            href={`/runs/${encodeURIComponent(node.run_id)}/nodes/${encodeURIComponent(node.node_id)}`}
                          >
                            {node.node_id}
                          </Link>{' '}
                          <span className="muted small mono">{node.run_id}</span>
                        </div>
                      ))
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
