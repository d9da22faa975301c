import { signNodeToken } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import type { ControllerMetrics } from '../metrics.js';
import { type EventBus, PendingEvents } from './events.js';
import { prepareStatements, type Statements } from './statements.js';
import type { TxContext } from './tx.js';

/** Timing settings of the queue, all in milliseconds. */
export interface QueueSettings {
  leaseMs: number;
  queueTimeoutMs: number;
  runnerHeartbeatTimeoutMs: number;
  runnerStartupGraceMs: number;
}

export const DEFAULT_SETTINGS: QueueSettings = {
  leaseMs: 60_000,
  queueTimeoutMs: 15 * 60_000,
  runnerHeartbeatTimeoutMs: 5 * 60_000,
  runnerStartupGraceMs: 2 * 60_000,
};

/** Shared state of the queue operations: the database, time, metrics and the event bus. */
export class QueueCore {
  readonly q: Statements;

  constructor(
    readonly db: Db,
    readonly clock: Clock,
    readonly metrics: ControllerMetrics,
    readonly bus: EventBus,
    readonly settings: QueueSettings,
    readonly signingKey: string,
    readonly logger: Logger,
    /** Called after commit with the events a write produced (the long-poll waiters hook in here). */
    private readonly afterCommit: (events: PendingEvents) => void,
  ) {
    this.q = prepareStatements(db);
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so concurrent claimers in
   * other processes serialise instead of failing to upgrade), then publishes the events it produced.
   */
  write<T>(fn: (ctx: TxContext) => T): T {
    const events = new PendingEvents();
    const now = this.clock.now();
    const result = this.db.transaction((tx) => fn({ tx, q: this.q, now, events, metrics: this.metrics }), {
      behavior: 'immediate',
    });
    if (events.ready.length > 0 || events.cancelled.length > 0) this.afterCommit(events);
    return result;
  }

  nodeToken(runId: string, nodeId: string, attempt: number, expiresAt: number): string {
    return signNodeToken(this.signingKey, { run_id: runId, node_id: nodeId, attempt, exp: expiresAt });
  }
}
