import type { PlanRequest } from '@sparkwing/contracts';
import type { LogRecord } from './context.js';
import type { JobResult } from './run-job.js';

/** What the runner asks the node process to do. */
export type ChildTask =
  | {
      kind: 'plan';
      entrypoint: string;
      args: Record<string, string>;
      requires?: string[];
      timeoutMs?: number;
    }
  | {
      kind: 'job';
      entrypoint: string;
      runId: string;
      jobId: string;
      args: Record<string, string>;
      outputs: Record<string, unknown>;
      cwd: string;
    };

/** Runner → node process over the IPC channel. */
export type ParentMessage =
  | { type: 'task'; task: ChildTask }
  | { type: 'secret'; id: number; value?: string; error?: string }
  | { type: 'abort'; reason: string };

/** Node process → runner. */
export type ChildMessage =
  | ({ type: 'log' } & LogRecord)
  | { type: 'secret_request'; id: number; name: string }
  | { type: 'plan'; plan: PlanRequest }
  | { type: 'plan_error'; error: string }
  | { type: 'result'; result: JobResult }
  /** Sent last, just before exiting: the process's own CPU time and peak RSS (`process.resourceUsage()`). */
  | { type: 'usage'; cpu_us: number; max_rss_bytes: number };
