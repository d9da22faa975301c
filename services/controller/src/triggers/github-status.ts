import type { RunStatus } from '@sparkwing/contracts';
import type { Logger } from '@sparkwing/telemetry';
import { and, asc, eq, lte } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import { type CommitState, commitStatuses, runs } from '../db/schema.js';
import { type FetchLike, GithubAuth, type GithubCredentials } from './github-auth.js';
import type { TriggerMetrics } from './metrics.js';
import { Periodic } from './periodic.js';

export interface StatusReporterOptions {
  credentials: GithubCredentials;
  /** `https://api.github.com`, or GitHub Enterprise's `https://host/api/v3`. */
  apiUrl: string;
  /** Dashboard base URL: statuses link to `<publicUrl>/runs/<id>`. */
  publicUrl?: string;
  fetch?: FetchLike;
  /** How often an active run's status is re-checked (default 2 s). */
  pollMs?: number;
  maxAttempts?: number;
}

const BATCH = 20;
const MAX_BACKOFF_MS = 5 * 60_000;

type RunRow = typeof runs.$inferSelect;

/** GitHub's state and a ≤ 140-character description for a run. */
export function describeRun(run: RunRow): { state: CommitState; description: string } {
  const byStatus: Record<RunStatus, CommitState> = {
    queued: 'pending',
    running: 'pending',
    success: 'success',
    failed: 'failure',
    cancelled: 'error',
  };
  const state = byStatus[run.status];
  let description: string = run.status;
  if (run.status === 'failed') {
    const reason = run.failureReason ? `${run.failureReason}: ` : '';
    description = `failed: ${reason}${(run.error ?? '').split('\n')[0]}`.replace(/: $/, '');
  } else if (run.status === 'success' && run.finishedAt !== null) {
    description = `succeeded in ${Math.round((run.finishedAt - (run.startedAt ?? run.createdAt)) / 1000)}s`;
  }
  return { state, description: description.length > 140 ? `${description.slice(0, 139)}…` : description };
}

const isTransient = (status: number) => status === 429 || status >= 500 || status === 0;

/**
 * Posts commit statuses from the `commit_statuses` outbox: pending when a run is triggered, then its final
 * state with the failure reason and a link to the run. Runs in its own loop with small transactions, so a
 * slow or failing GitHub never holds up the queue; transient errors (5xx, 429, network) back off and retry.
 */
export class StatusReporter {
  private readonly auth: GithubAuth;
  private readonly fetch: FetchLike;
  private readonly loop: Periodic;

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; metrics: TriggerMetrics },
    private readonly options: StatusReporterOptions,
  ) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.auth = new GithubAuth(options.credentials, options.apiUrl, this.fetch, () => deps.clock.now());
    this.loop = new Periodic(() => this.tick(), deps.logger, 'status reporter tick');
  }

  /** Posts what is due; returns how many posts were attempted. */
  async tick(): Promise<number> {
    const now = this.deps.clock.now();
    const due = this.deps.db
      .select({ status: commitStatuses, run: runs })
      .from(commitStatuses)
      .innerJoin(runs, eq(runs.id, commitStatuses.runId))
      .where(and(eq(commitStatuses.done, false), lte(commitStatuses.nextAttemptAt, now)))
      .orderBy(asc(commitStatuses.nextAttemptAt))
      .limit(BATCH)
      .all();
    let attempted = 0;
    for (const { status, run } of due) {
      const { state, description } = describeRun(run);
      const terminal = state !== 'pending';
      if (status.posted === state) {
        this.update(run.id, { nextAttemptAt: now + (this.options.pollMs ?? 2_000) });
        continue;
      }
      attempted += 1;
      const result = await this.post(status.repo, status.sha, status.pipeline, run.id, state, description);
      if (result.ok) {
        this.deps.metrics.commitStatuses.inc({ outcome: 'posted' });
        this.update(run.id, {
          posted: state,
          attempts: 0,
          lastError: null,
          done: terminal,
          nextAttemptAt: now + (this.options.pollMs ?? 2_000),
        });
        continue;
      }
      const attempts = status.attempts + 1;
      const giveUp = !result.transient || attempts >= (this.options.maxAttempts ?? 8);
      this.deps.metrics.commitStatuses.inc({ outcome: giveUp ? 'failed' : 'retried' });
      const backoff = result.retryAfterMs ?? Math.min(1_000 * 2 ** attempts, MAX_BACKOFF_MS);
      this.deps.logger.warn('commit status not posted', {
        run_id: run.id,
        repo: status.repo,
        error: result.error,
        attempts,
        giving_up: giveUp,
      });
      this.update(run.id, { attempts, lastError: result.error, done: giveUp, nextAttemptAt: now + backoff });
    }
    return attempted;
  }

  private update(runId: string, set: Partial<typeof commitStatuses.$inferInsert>): void {
    this.deps.db.update(commitStatuses).set(set).where(eq(commitStatuses.runId, runId)).run();
  }

  private async post(
    repo: string,
    sha: string,
    pipeline: string,
    runId: string,
    state: CommitState,
    description: string,
  ): Promise<{ ok: true } | { ok: false; transient: boolean; error: string; retryAfterMs?: number }> {
    const body: Record<string, string> = { state, description, context: `sparkwing/${pipeline}` };
    if (this.options.publicUrl)
      body.target_url = `${this.options.publicUrl.replace(/\/$/, '')}/runs/${runId}`;
    try {
      const response = await this.fetch(`${this.options.apiUrl}/repos/${repo}/statuses/${sha}`, {
        method: 'POST',
        headers: {
          authorization: await this.auth.header(),
          accept: 'application/vnd.github+json',
          'content-type': 'application/json',
          'user-agent': 'sparkwing-controller',
          'x-github-api-version': '2022-11-28',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      if (response.ok) return { ok: true };
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        ok: false,
        transient: isTransient(response.status),
        error: `HTTP ${response.status}`,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      };
    } catch (error) {
      const status = (error as { status?: number }).status ?? 0;
      return { ok: false, transient: isTransient(status), error: (error as Error).message };
    }
  }

  /** Ticks every `intervalMs` (one tick at a time). */
  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
