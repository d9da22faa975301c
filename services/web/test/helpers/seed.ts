import { ControllerClient } from '@sparkwing/client';
import type { FailureReason, MetricPoint, PlanNode, Scope } from '@sparkwing/contracts';

export interface Seeder {
  admin: ControllerClient;
  controllerUrl: string;
  logsUrl: string;
}

export function seeder(controllerUrl: string, logsUrl: string, adminToken: string): Seeder {
  return {
    admin: new ControllerClient({ baseUrl: controllerUrl, token: adminToken }),
    controllerUrl,
    logsUrl,
  };
}

export async function userToken(seed: Seeder, name: string, scopes: Scope[]): Promise<string> {
  const created = await seed.admin.createToken({ name, kind: 'user', scopes });
  return created.token;
}

export interface LeasedNode {
  runId: string;
  nodeId: string;
  token: string;
}

/** Drives a run the way a runner does: trigger, claim `_plan`, post the plan, finish `_plan`. */
export async function plannedRun(
  seed: Seeder,
  pipeline: string,
  nodes: PlanNode[],
  runnerId = 'runner-1',
): Promise<string> {
  const { run_id } = await seed.admin.trigger({
    pipeline,
    git: { repo_url: 'https://git.example/app.git', branch: 'main', sha: 'abcdef1234567' },
  });
  await seed.admin.runnerHeartbeat({ runner_id: runnerId, labels: ['os=linux'] });
  const plan = await claim(seed, run_id, runnerId);
  await seed.admin.startNode(run_id, plan.nodeId, plan.token, { runner_id: runnerId });
  await seed.admin.plan(run_id, { nodes }, plan.token);
  await seed.admin.finishNode(run_id, plan.nodeId, plan.token, { outcome: 'success', exit_code: 0 });
  return run_id;
}

export async function claim(seed: Seeder, runId: string, runnerId = 'runner-1'): Promise<LeasedNode> {
  const claimed = await seed.admin.claim({
    runner_id: runnerId,
    labels: ['os=linux'],
    wait_ms: 5_000,
    run_id: runId,
  });
  if (!claimed) throw new Error(`nothing to claim in ${runId}`);
  return { runId, nodeId: claimed.node.id, token: claimed.lease.token };
}

export async function startNode(seed: Seeder, node: LeasedNode, runnerId = 'runner-1'): Promise<void> {
  await seed.admin.startNode(node.runId, node.nodeId, node.token, { runner_id: runnerId });
}

export async function appendLogs(
  seed: Seeder,
  node: LeasedNode,
  lines: string[],
  final = false,
): Promise<void> {
  const body = lines
    .map((msg, i) =>
      JSON.stringify({
        msg,
        stream: 'stdout',
        ...(final && i === lines.length - 1 ? { final: true, stream: 'system' } : {}),
      }),
    )
    .join('\n');
  const response = await fetch(`${seed.logsUrl}/api/v1/logs/${node.runId}/${node.nodeId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/x-ndjson' },
    body: `${body}\n`,
  });
  if (!response.ok) throw new Error(`log append answered ${response.status}: ${await response.text()}`);
}

export async function postMetrics(seed: Seeder, node: LeasedNode, points: MetricPoint[]): Promise<void> {
  await seed.admin.postMetrics(node.runId, node.nodeId, node.token, points);
}

export async function finish(
  seed: Seeder,
  node: LeasedNode,
  outcome: 'success' | 'failed',
  extra: { failure_reason?: FailureReason; exit_code?: number; error?: string; logs_tail?: string } = {},
): Promise<void> {
  await seed.admin.finishNode(node.runId, node.nodeId, node.token, {
    outcome,
    exit_code: outcome === 'success' ? 0 : 1,
    ...extra,
  });
}

/** Samples 2 s apart from `start`. */
export function samples(start: number, values: [number, number][]): MetricPoint[] {
  return values.map(([cpu, mem], i) => ({
    ts: new Date(start + i * 2_000).toISOString(),
    cpu_millicores: cpu,
    memory_bytes: mem,
  }));
}
