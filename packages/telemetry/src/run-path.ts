import { isSafeId } from '@sparkwing/contracts';

export interface RunRef {
  runId: string;
  nodeId?: string;
}

/**
 * The run (and node) a request path is about, for the Sparkwing routes that carry them:
 * controller `/api/v1/runs/{id}[/nodes/{nodeID}…]`, logs `/api/v1/logs/{runID}[/{nodeID}…]` and cache
 * `/artifacts/{runID}/…`. Lets HTTP server spans join the run's trace with no propagation.
 */
export function runFromPath(path: string): RunRef | undefined {
  const parts = path.split('/').filter(Boolean);
  let runId: string | undefined;
  let nodeId: string | undefined;
  if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'runs') {
    runId = parts[3];
    if (parts[4] === 'nodes') nodeId = parts[5];
  } else if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'logs' && parts[3] !== 'search') {
    runId = parts[3];
    nodeId = parts[4];
  } else if (parts[0] === 'artifacts') {
    runId = parts[1];
  }
  if (!runId || !isSafeId(runId)) return undefined;
  return nodeId && isSafeId(nodeId) ? { runId, nodeId } : { runId };
}
