import type { RunResult } from 'better-sqlite3';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from '../db/schema.js';
import type { ControllerMetrics } from '../metrics.js';
import type { PendingEvents } from './events.js';
import type { Statements } from './statements.js';

/** A transaction or the database itself: both run the same synchronous queries. */
export type Tx = BaseSQLiteDatabase<'sync', RunResult, typeof schema>;

/** What every function running inside a queue transaction gets. */
export interface TxContext {
  tx: Tx;
  /** Prepared hot-path statements (same connection, so they run inside the transaction). */
  q: Statements;
  now: number;
  events: PendingEvents;
  metrics: ControllerMetrics;
}
