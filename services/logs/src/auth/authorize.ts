import { ApiError, hasScope, type Scope } from '@sparkwing/contracts';
import type { Caller } from '@sparkwing/telemetry';

/** Reads need `scope`; a node token may act only on its own node (`nodeId` undefined = a whole run: no). */
export function authorize(
  caller: Caller,
  scope: Scope,
  target: { runId?: string; nodeId?: string } = {},
): void {
  if (caller.kind === 'node') {
    if (target.runId !== undefined && target.nodeId !== undefined) {
      if (caller.runId === target.runId && caller.nodeId === target.nodeId) return;
      throw new ApiError(
        'forbidden',
        `node token is for run ${caller.runId} node ${caller.nodeId}, not run ${target.runId} node ${target.nodeId}`,
      );
    }
    throw new ApiError('forbidden', `node tokens cannot do this; it needs scope ${scope}`);
  }
  if (!hasScope(caller.scopes, scope)) throw new ApiError('forbidden', `this needs scope ${scope}`);
}
