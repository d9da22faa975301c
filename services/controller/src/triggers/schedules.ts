import type { Logger } from '@sparkwing/telemetry';
import {
  nextFireAfter,
  type PipelineEntry,
  parseScheduleEntry,
  parseSparkwingConfig,
  scheduleEntries,
} from '@sparkwing/sdk/config';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/open.js';
import { schedules } from '../db/schema.js';
import { insertRun } from '../queue/runs-ops.js';
import type { QueueService } from '../queue/service.js';
import type { TxContext } from '../queue/tx.js';
import type { RepoRef } from './github-delivery.js';
import type { TriggerMetrics } from './metrics.js';
import { Periodic } from './periodic.js';
import { resolveGroup } from './plan-delivery.js';
import { CONFIG_PATH, type RepoSource } from './repo-source.js';
import { listRepos } from './repos.js';

/** Missed slots counted past this many are not counted (a schedule off for years). */
const MAX_COUNTED_SLOTS = 10_000;

interface Wanted {
  pipeline: PipelineEntry;
  entry: string;
}

export interface ScheduleTickReport {
  fired: { repo: string; pipeline: string; entry: string; slot: number; runId: string }[];
  skipped: number;
}

/**
 * Fires `schedule:` entries from each known repository's default-branch sparkwing.yaml. The next fire time
 * per (repo, pipeline, entry) lives in SQLite and moves in the same transaction that creates the run, and
 * the run's idempotency key names the slot: a slot can never fire twice, across restarts or replicas.
 * Catch-up: after downtime the latest missed slot fires once; the earlier ones count as skipped.
 */
export class ScheduleRunner {
  private readonly loop: Periodic;

  constructor(
    private readonly deps: {
      db: Db;
      queue: QueueService;
      source: RepoSource;
      metrics: TriggerMetrics;
      logger: Logger;
    },
  ) {
    this.loop = new Periodic(() => this.tick(), deps.logger, 'schedule tick');
  }

  async tick(): Promise<ScheduleTickReport> {
    const report: ScheduleTickReport = { fired: [], skipped: 0 };
    for (const repo of listRepos(this.deps.db)) {
      const wanted = await this.wanted(repo);
      if (wanted) this.apply(repo, wanted, report);
    }
    return report;
  }

  /** The schedule entries of the default branch's sparkwing.yaml; null when it cannot be read or parsed. */
  private async wanted(repo: RepoRef): Promise<Wanted[] | null> {
    try {
      const text = await this.deps.source.readConfig(repo.cloneUrl, repo.defaultBranch);
      if (text === null) return [];
      return parseSparkwingConfig(text, CONFIG_PATH).pipelines.flatMap((pipeline) =>
        scheduleEntries(pipeline.on).map((entry) => ({ pipeline, entry })),
      );
    } catch (error) {
      // Keep the stored next-fire times: a broken file or an unreachable cache must not reset schedules.
      this.deps.logger.warn('schedules: cannot read sparkwing.yaml', { repo: repo.fullName, error });
      return null;
    }
  }

  private apply(repo: RepoRef, wanted: Wanted[], report: ScheduleTickReport): void {
    this.deps.queue.core.write((ctx) => {
      const rows = ctx.tx.select().from(schedules).where(eq(schedules.repo, repo.fullName)).all();
      const key = (pipeline: string, entry: string) => `${pipeline}\n${entry}`;
      const keep = new Set(wanted.map((w) => key(w.pipeline.name, w.entry)));
      for (const row of rows) {
        if (keep.has(key(row.pipeline, row.entry))) continue;
        ctx.tx
          .delete(schedules)
          .where(
            and(
              eq(schedules.repo, row.repo),
              eq(schedules.pipeline, row.pipeline),
              eq(schedules.entry, row.entry),
            ),
          )
          .run();
      }
      const byKey = new Map(rows.map((row) => [key(row.pipeline, row.entry), row]));
      for (const w of wanted) {
        const parsed = parseScheduleEntry(w.entry);
        const row = byKey.get(key(w.pipeline.name, w.entry));
        if (!row) {
          // A new entry starts from now: it never fires for slots before it existed.
          ctx.tx
            .insert(schedules)
            .values({
              repo: repo.fullName,
              pipeline: w.pipeline.name,
              entry: w.entry,
              nextFireAt: nextFireAfter(parsed, ctx.now),
            })
            .run();
          continue;
        }
        if (row.nextFireAt === null || row.nextFireAt > ctx.now) continue;
        let slot = row.nextFireAt;
        let missed = 0;
        for (let next = nextFireAfter(parsed, slot); next !== null && next <= ctx.now; ) {
          if (missed < MAX_COUNTED_SLOTS) missed += 1;
          slot = next;
          next = missed < MAX_COUNTED_SLOTS ? nextFireAfter(parsed, slot) : null;
        }
        const runId = this.fire(ctx, repo, w, slot);
        ctx.tx
          .update(schedules)
          .set({ nextFireAt: nextFireAfter(parsed, ctx.now), lastFiredAt: slot, lastRunId: runId })
          .where(
            and(
              eq(schedules.repo, repo.fullName),
              eq(schedules.pipeline, w.pipeline.name),
              eq(schedules.entry, w.entry),
            ),
          )
          .run();
        this.deps.metrics.schedulesFired.inc();
        if (missed > 0) this.deps.metrics.schedulesSkipped.inc(missed);
        report.skipped += missed;
        report.fired.push({ repo: repo.fullName, pipeline: w.pipeline.name, entry: w.entry, slot, runId });
      }
    });
  }

  private fire(ctx: TxContext, repo: RepoRef, w: Wanted, slot: number): string {
    const ref = `refs/heads/${repo.defaultBranch}`;
    const concurrency = w.pipeline.concurrency;
    return insertRun(ctx, {
      pipeline: w.pipeline.name,
      git: { repo_url: repo.cloneUrl, branch: repo.defaultBranch },
      idempotencyKey: `schedule:${repo.fullName}:${w.entry}:${slot}`,
      trigger: {
        kind: 'schedule',
        event: 'schedule',
        actor: null,
        ref,
        rule: `schedule: ${w.entry}`,
        repo: repo.fullName,
      },
      concurrency: concurrency
        ? {
            group: resolveGroup(concurrency.group, repo.fullName, {
              pipeline: w.pipeline.name,
              ref,
              branch: repo.defaultBranch,
              pr: '',
              event: 'schedule',
            }),
            cancelInProgress: concurrency.cancel_in_progress,
          }
        : null,
    }).runId;
  }

  /** Ticks every `intervalMs` (one tick at a time). */
  start(intervalMs: number): void {
    this.loop.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
