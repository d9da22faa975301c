import { ClientError } from '@sparkwing/client';
import { isTerminalRunStatus, parseDuration, type Run } from '@sparkwing/contracts';
import type { Backend } from '../remote/backend.js';
import { CliUsageError } from './context.js';

export interface PruneSelection {
  olderThan?: string;
  run: string[];
}

export interface PruneResult {
  run_id: string;
  pipeline: string;
  status: string;
  finished_at: string | null;
  deleted: boolean;
  /** Why a listed run was not deleted (still running, unknown). */
  skipped?: string;
}

/** Every finished run that ended before `cutoff` (walks all pages, newest first). */
async function finishedBefore(backend: Backend, cutoff: number): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await backend.controller.listRuns({ limit: 500, cursor });
    for (const run of page.runs) {
      if (isTerminalRunStatus(run.status) && run.finished_at && Date.parse(run.finished_at) < cutoff)
        out.push(run);
    }
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
}

/** Deletes finished runs with their nodes, metrics (controller) and logs (logs service). */
export async function prune(
  backend: Backend,
  selection: PruneSelection,
  dryRun: boolean,
): Promise<PruneResult[]> {
  if (!selection.olderThan === (selection.run.length === 0)) {
    throw new CliUsageError('pass exactly one of --older-than DUR or --run ID…');
  }
  const candidates: Array<Run | { id: string; missing: true }> = [];
  if (selection.olderThan) {
    let ms: number;
    try {
      ms = parseDuration(selection.olderThan);
    } catch (error) {
      throw new CliUsageError(`--older-than: ${(error as Error).message}`);
    }
    candidates.push(...(await finishedBefore(backend, Date.now() - ms)));
  } else {
    for (const id of selection.run) {
      try {
        candidates.push((await backend.controller.getRun(id)).run);
      } catch (error) {
        if (error instanceof ClientError && (error.status === 404 || error.status === 400))
          candidates.push({ id, missing: true });
        else throw error;
      }
    }
  }
  const results: PruneResult[] = [];
  for (const run of candidates) {
    if ('missing' in run) {
      results.push({
        run_id: run.id,
        pipeline: '',
        status: 'unknown',
        finished_at: null,
        deleted: false,
        skipped: 'unknown run',
      });
      continue;
    }
    const base = { run_id: run.id, pipeline: run.pipeline, status: run.status, finished_at: run.finished_at };
    if (!isTerminalRunStatus(run.status)) {
      results.push({ ...base, deleted: false, skipped: `run is ${run.status}` });
      continue;
    }
    if (!dryRun) {
      // Logs first: a run whose logs could not be deleted stays listed, so a second prune finishes the job.
      try {
        await backend.logs.deleteRun(run.id);
      } catch (error) {
        if (!(error instanceof ClientError && error.status === 404)) throw error;
      }
      await backend.controller.deleteRun(run.id);
    }
    results.push({ ...base, deleted: !dryRun });
  }
  return results;
}
