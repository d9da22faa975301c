import { ClientError, type ControllerClient } from '@sparkwing/client';
import type { ClaimRequest, ClaimResponse, NodeFinishRequest } from '@sparkwing/contracts';
import type { Masker } from '@sparkwing/sdk';
import type { Logger } from '@sparkwing/telemetry';
import type { NodeExecution } from './execute-node.js';
import { isAuthError, type NodeLogShipper } from './shipper.js';
import type { LogTail } from './tail.js';

/** Lets a finish claim the slot's next node in the same call (protocol 2). */
export interface ClaimChain {
  /** The claim to chain, or null when the pool wants no more work (draining). */
  request(): ClaimRequest | null;
  /** Receives the chained claim; the pool executes it in the slot this node frees. */
  accept(claim: ClaimResponse): void;
}

export interface FinishInput {
  controller: ControllerClient;
  claim: ClaimResponse;
  token: () => string;
  shipper: NodeLogShipper;
  tail: LogTail;
  masker: Masker;
  logger: Logger;
  /** Updated in place: logs_auth can still turn a success into a failure, a 409 into `lost`. */
  execution: NodeExecution;
  output: unknown;
  chain?: ClaimChain;
}

/**
 * Writes the node's final log record, flushes the logs (a 401/403 now still fails the node `logs_auth`)
 * and reports the result with the masked log tail.
 */
export async function reportFinish(input: FinishInput): Promise<void> {
  const { execution } = input;
  const { node } = input.claim;
  const reason = execution.failure_reason ? ` (${execution.failure_reason})` : '';
  const code = execution.exit_code === null ? '' : `, exit code ${execution.exit_code}`;
  const summary =
    execution.outcome === 'success' ? `${node.id} succeeded` : `${node.id} failed${reason}${code}`;
  const error = execution.error ? input.masker.mask(execution.error) : null;
  if (execution.outcome !== 'success' && error && !input.tail.text().includes(error)) input.tail.push(error);
  input.shipper.write({ ts: new Date().toISOString(), stream: 'system', msg: summary, final: true });
  try {
    await input.shipper.flush();
  } catch (error) {
    if (!isAuthError(error)) input.logger.warn('log flush failed', { error: (error as Error).message });
  }
  if (input.shipper.authFailed) {
    execution.outcome = 'failed';
    execution.failure_reason = 'logs_auth';
    execution.error = "the logs service rejected this node's log appends (401/403)";
  }
  const success = execution.outcome === 'success';
  const finish: NodeFinishRequest = {
    outcome: success ? 'success' : 'failed',
    logs_tail: input.tail.text(),
    ...(execution.failure_reason ? { failure_reason: execution.failure_reason } : {}),
    ...(execution.exit_code === null ? {} : { exit_code: execution.exit_code }),
    ...(execution.error ? { error: input.masker.mask(execution.error).slice(0, 16_000) } : {}),
    ...(input.output !== undefined && success ? { output: input.output } : {}),
  };
  const next = input.chain?.request() ?? null;
  if (next) finish.next = next;
  try {
    const done = await input.controller.finishNode(input.claim.run.id, node.id, input.token(), finish);
    if (done.next_claim) input.chain?.accept(done.next_claim);
  } catch (error) {
    if (error instanceof ClientError && error.status === 409) execution.outcome = 'lost';
    else input.logger.error('could not report the node result', { error: (error as Error).message });
  }
}
