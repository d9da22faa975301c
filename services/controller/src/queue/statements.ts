import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { nodeAttempts, nodes, runners, runs } from '../db/schema.js';

const p = sql.placeholder;

/**
 * Prepared statements of the hot paths (claim, start, heartbeat, finish, scheduling). Building a drizzle
 * query costs far more than running it on SQLite, so these are built once per database handle; they run
 * inside the queue's transactions because better-sqlite3 has one connection.
 */
export function prepareStatements(db: Db) {
  return {
    runById: db
      .select()
      .from(runs)
      .where(eq(runs.id, p('id')))
      .prepare(),
    nodeByKey: db
      .select()
      .from(nodes)
      .where(and(eq(nodes.runId, p('runId')), eq(nodes.nodeId, p('nodeId'))))
      .prepare(),
    nodeByPk: db
      .select()
      .from(nodes)
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
    attemptsOf: db
      .select()
      .from(nodeAttempts)
      .where(and(eq(nodeAttempts.runId, p('runId')), eq(nodeAttempts.nodeId, p('nodeId'))))
      .orderBy(asc(nodeAttempts.attempt))
      .prepare(),
    /** The next distinct `requires` among ready nodes after `after`: an index seek, not a scan of the backlog. */
    nextReadyKey: db
      .select({ key: nodes.requiresKey })
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), gt(nodes.requiresKey, p('after'))))
      .orderBy(asc(nodes.requiresKey))
      .limit(1)
      .prepare(),
    readyKeysOfRun: db
      .selectDistinct({ key: nodes.requiresKey })
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), eq(nodes.runId, p('runId'))))
      .prepare(),
    oldestReady: db
      .select({ pk: nodes.pk, readyAt: nodes.readyAt })
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), eq(nodes.requiresKey, p('key'))))
      .orderBy(asc(nodes.readyAt), asc(nodes.pk))
      .limit(1)
      .prepare(),
    oldestReadyOfRun: db
      .select({ pk: nodes.pk, readyAt: nodes.readyAt })
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), eq(nodes.requiresKey, p('key')), eq(nodes.runId, p('runId'))))
      .orderBy(asc(nodes.readyAt), asc(nodes.pk))
      .limit(1)
      .prepare(),
    pendingOfRun: db
      .select({
        pk: nodes.pk,
        nodeId: nodes.nodeId,
        needs: nodes.needs,
        attempt: nodes.attempt,
        requires: nodes.requires,
      })
      .from(nodes)
      .where(and(eq(nodes.status, 'pending'), eq(nodes.runId, p('runId'))))
      .orderBy(asc(nodes.pk))
      .prepare(),
    readyOfRun: db
      .select({ pk: nodes.pk })
      .from(nodes)
      .where(and(eq(nodes.status, 'ready'), eq(nodes.runId, p('runId'))))
      .prepare(),
    statusesOfRun: db
      .select({ nodeId: nodes.nodeId, status: nodes.status })
      .from(nodes)
      .where(eq(nodes.runId, p('runId')))
      .prepare(),
    /** Any node of the run not terminal yet (an existence probe, so it does not count a big backlog). */
    unfinishedOfRun: db
      .select({ pk: nodes.pk })
      .from(nodes)
      .where(
        and(inArray(nodes.status, ['pending', 'ready', 'claimed', 'running']), eq(nodes.runId, p('runId'))),
      )
      .limit(1)
      .prepare(),
    endNode: db
      .update(nodes)
      .set({
        status: sql`${p('status')}`,
        finishedAt: sql`${p('now')}`,
        failureReason: sql`${p('failureReason')}`,
        exitCode: sql`${p('exitCode')}`,
        error: sql`${p('error')}`,
        logs: sql`${p('logs')}`,
        output: sql`${p('output')}`,
        finishedBy: sql`${p('finishedBy')}`,
        leaseExpiresAt: null,
      })
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
    endAttempt: db
      .update(nodeAttempts)
      .set({
        status: sql`${p('status')}`,
        finishedAt: sql`${p('now')}`,
        failureReason: sql`${p('failureReason')}`,
        exitCode: sql`${p('exitCode')}`,
        error: sql`${p('error')}`,
      })
      .where(
        and(
          eq(nodeAttempts.runId, p('runId')),
          eq(nodeAttempts.nodeId, p('nodeId')),
          eq(nodeAttempts.attempt, p('attempt')),
        ),
      )
      .prepare(),
    markReady: db
      .update(nodes)
      .set({ status: 'ready', readyAt: sql`${p('now')}`, statusDetail: null })
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
    /** Claims a ready node; `status` is `claimed`, or `running` with `startedAt` set for a claim that starts. */
    leaseNode: db
      .update(nodes)
      .set({
        status: sql`${p('status')}`,
        runnerId: sql`${p('holder')}`,
        claimedAt: sql`${p('now')}`,
        startedAt: sql`${p('startedAt')}`,
        leaseExpiresAt: sql`${p('expiresAt')}`,
        statusDetail: null,
      })
      .where(and(eq(nodes.pk, p('pk')), eq(nodes.status, 'ready')))
      .prepare(),
    insertAttempt: db
      .insert(nodeAttempts)
      .values({
        runId: sql`${p('runId')}`,
        nodeId: sql`${p('nodeId')}`,
        attempt: sql`${p('attempt')}`,
        runnerId: sql`${p('holder')}`,
        status: sql`${p('status')}`,
        claimedAt: sql`${p('now')}`,
        startedAt: sql`${p('startedAt')}`,
      })
      .onConflictDoUpdate({
        target: [nodeAttempts.runId, nodeAttempts.nodeId, nodeAttempts.attempt],
        set: {
          runnerId: sql`excluded.runner_id`,
          status: sql`excluded.status`,
          claimedAt: sql`excluded.claimed_at`,
          startedAt: sql`excluded.started_at`,
        },
      })
      .prepare(),
    startRun: db
      .update(runs)
      .set({ status: 'running', startedAt: sql`${p('now')}` })
      .where(and(eq(runs.id, p('id')), eq(runs.status, 'queued')))
      .prepare(),
    startNode: db
      .update(nodes)
      .set({
        status: 'running',
        startedAt: sql`${p('now')}`,
        runnerId: sql`${p('runnerId')}`,
        statusDetail: null,
      })
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
    startAttempt: db
      .update(nodeAttempts)
      .set({ status: 'running', startedAt: sql`${p('now')}`, runnerId: sql`${p('runnerId')}` })
      .where(
        and(
          eq(nodeAttempts.runId, p('runId')),
          eq(nodeAttempts.nodeId, p('nodeId')),
          eq(nodeAttempts.attempt, p('attempt')),
        ),
      )
      .prepare(),
    renewLeaseWithDetail: db
      .update(nodes)
      .set({ leaseExpiresAt: sql`${p('expiresAt')}`, statusDetail: sql`${p('detail')}` })
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
    /** Labels are JSON text in the table; the caller passes them serialised. */
    upsertRunner: db
      .insert(runners)
      .values({
        runnerId: sql`${p('runnerId')}`,
        labels: sql`${p('labels')}`,
        version: sql`${p('version')}`,
        capacity: sql`${p('capacity')}`,
        firstSeen: sql`${p('now')}`,
        lastSeen: sql`${p('now')}`,
      })
      .onConflictDoUpdate({
        target: runners.runnerId,
        set: {
          labels: sql`excluded.labels`,
          version: sql`excluded.version`,
          capacity: sql`excluded.capacity`,
          lastSeen: sql`excluded.last_seen`,
        },
      })
      .prepare(),
    renewLease: db
      .update(nodes)
      .set({ leaseExpiresAt: sql`${p('expiresAt')}` })
      .where(eq(nodes.pk, p('pk')))
      .prepare(),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
