import {
  type MetricPoint,
  metricsResponseSchema,
  parseCpuQuantity,
  parseMemoryQuantity,
  type Resources,
} from '@sparkwing/contracts';
import { apiGet, paths } from '../lib/api.js';
import { formatBytes, formatCpu } from '../lib/format.js';
import { useResource } from '../lib/use-resource.js';
import { ErrorState } from './bits.js';
import { LineChart } from './chart.js';

function stats(values: number[]) {
  if (values.length === 0) return { peak: 0, avg: 0 };
  return { peak: Math.max(...values), avg: values.reduce((sum, v) => sum + v, 0) / values.length };
}

function quantity(parse: (text: string) => number, text: string | undefined): number | null {
  if (!text) return null;
  try {
    return parse(text);
  } catch {
    return null;
  }
}

/** CPU and memory charts, open by default; peak and average sit in the always-visible summary line. */
export function ResourcesPanel({
  runId,
  nodeId,
  live,
  limits,
}: {
  runId: string;
  nodeId: string;
  live: boolean;
  limits: Resources;
}) {
  const metrics = useResource(
    () => apiGet(paths.metrics(runId, nodeId), metricsResponseSchema),
    [runId, nodeId],
    live ? 3_000 : null,
  );
  const points: MetricPoint[] = metrics.data?.points ?? [];
  const t = points.map((p) => new Date(p.ts).getTime());
  const cpu = stats(points.map((p) => p.cpu_millicores));
  const mem = stats(points.map((p) => p.memory_bytes));
  const cpuLimit = quantity(parseCpuQuantity, limits.cpu);
  const memLimit = quantity(parseMemoryQuantity, limits.memory);
  return (
    <details className="panel resources" data-testid="resources" open>
      <summary>
        <span className="panel-title">Resources</span>
        {points.length > 0 ? (
          <span className="resource-stats">
            <span data-testid="cpu-stats" data-peak={cpu.peak} data-avg={cpu.avg}>
              CPU peak <strong>{formatCpu(cpu.peak)}</strong> · avg {formatCpu(cpu.avg)}
            </span>
            <span data-testid="mem-stats" data-peak={mem.peak} data-avg={mem.avg}>
              Memory peak <strong>{formatBytes(mem.peak)}</strong> · avg {formatBytes(mem.avg)}
            </span>
          </span>
        ) : (
          <span className="muted small">{metrics.loading ? 'loading samples…' : 'no samples'}</span>
        )}
      </summary>
      {metrics.error && !metrics.data && <ErrorState error={metrics.error} onRetry={metrics.reload} />}
      {points.length === 0 && metrics.data && (
        <p className="muted">
          No CPU or memory samples were recorded for this job (runners sample about every 2 seconds while it
          runs).
        </p>
      )}
      {points.length > 0 && (
        <div className="charts">
          <figure>
            <figcaption>
              CPU (millicores){cpuLimit !== null ? ` · limit ${formatCpu(cpuLimit)}` : ''}
              {cpuLimit !== null && cpu.peak < cpuLimit * 0.5 && (
                <span className="hint"> well below the limit: requests can go down</span>
              )}
              {cpuLimit !== null && cpu.peak >= cpuLimit * 0.95 && (
                <span className="hint warn-text"> at the limit: CPU-bound</span>
              )}
            </figcaption>
            <LineChart
              className="chart-cpu"
              series={{ t, v: points.map((p) => p.cpu_millicores) }}
              limit={cpuLimit}
              format={formatCpu}
              label={`CPU over time, peak ${formatCpu(cpu.peak)}, average ${formatCpu(cpu.avg)}`}
            />
          </figure>
          <figure>
            <figcaption>
              Memory (resident){memLimit !== null ? ` · limit ${formatBytes(memLimit)}` : ''}
              {memLimit !== null && mem.peak >= memLimit * 0.85 && (
                <span className="hint warn-text"> close to the limit: raise it or reduce memory use</span>
              )}
            </figcaption>
            <LineChart
              className="chart-mem"
              series={{ t, v: points.map((p) => p.memory_bytes) }}
              limit={memLimit}
              format={formatBytes}
              label={`Memory over time, peak ${formatBytes(mem.peak)}, average ${formatBytes(mem.avg)}`}
            />
          </figure>
        </div>
      )}
    </details>
  );
}
