import type { ControllerClient } from '@sparkwing/client';
import { type ClaimResponse, nodeSchema, PLAN_NODE_ID, parseDuration } from '@sparkwing/contracts';
import type { ChildTask } from '@sparkwing/sdk';
import type { PipelineEntry } from '@sparkwing/sdk/config';

/** Outputs of the jobs a node needs, read with the node's own token (it may read its own run). */
async function readOutputs(
  controller: ControllerClient,
  claim: ClaimResponse,
  token: string,
): Promise<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  for (const need of claim.node.needs) {
    const path = `/api/v1/runs/${encodeURIComponent(claim.run.id)}/nodes/${encodeURIComponent(need)}`;
    const node = await controller.http.call('GET', path, { token, schema: nodeSchema });
    outputs[need] = node.output ?? null;
  }
  return outputs;
}

/** What the node process is asked to do: evaluate the plan (`_plan`) or run one job. */
export async function buildTask(
  controller: ControllerClient,
  claim: ClaimResponse,
  entry: PipelineEntry,
  cwd: string,
  token: string,
): Promise<ChildTask> {
  const { run, node } = claim;
  if (node.id === PLAN_NODE_ID) {
    return {
      kind: 'plan',
      entrypoint: entry.entrypoint,
      args: run.args,
      requires: entry.requires,
      timeoutMs: entry.timeout ? parseDuration(entry.timeout) : undefined,
    };
  }
  return {
    kind: 'job',
    entrypoint: entry.entrypoint,
    runId: run.id,
    jobId: node.id,
    args: run.args,
    outputs: await readOutputs(controller, claim, token),
    cwd,
  };
}
