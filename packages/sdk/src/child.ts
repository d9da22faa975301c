import type { JobRuntime } from './context.js';
import { maskRegistryCredentials } from './docker.js';
import { Masker } from './mask.js';
import { buildJobs, isPipeline, type Pipeline } from './pipeline.js';
import { evaluatePlan } from './plan.js';
import type { ChildMessage, ChildTask, ParentMessage } from './protocol.js';
import { runJob } from './run-job.js';
import { killSpawnedGroups } from './shell.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

function findPipeline(modules: Record<string, unknown>[], entrypoint: string): Pipeline {
  for (const mod of modules) {
    const value = mod[entrypoint];
    if (isPipeline(value)) return value;
  }
  throw new Error(
    `no exported pipeline "${entrypoint}" in .sparkwing/ (export const ${entrypoint} = pipeline(...))`,
  );
}

async function execute(
  modules: Record<string, unknown>[],
  task: ChildTask,
  abort: AbortController,
): Promise<void> {
  if (task.kind === 'plan') {
    try {
      const plan = evaluatePlan(findPipeline(modules, task.entrypoint), task.args, {
        requires: task.requires,
        timeoutMs: task.timeoutMs,
      });
      await send({ type: 'plan', plan });
    } catch (error) {
      await send({ type: 'plan_error', error: (error as Error).message });
    }
    return;
  }
  const masker = new Masker();
  // Registry credentials reach the job as env (docs/docker-builds.md): mask them like secrets.
  maskRegistryCredentials(process.env, (value) => masker.add(value));
  let nextSecret = 1;
  const waiting = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'secret') return;
    const entry = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error !== undefined) entry?.reject(new Error(message.error));
    else entry?.resolve(message.value ?? '');
  });
  const runtime: JobRuntime = {
    runId: task.runId,
    jobId: task.jobId,
    args: task.args,
    outputs: task.outputs,
    env: process.env,
    cwd: task.cwd,
    signal: abort.signal,
    write: (record) => void send({ type: 'log', ...record }),
    getSecret: (name) =>
      new Promise((resolve, reject) => {
        const id = nextSecret++;
        waiting.set(id, { resolve, reject });
        void send({ type: 'secret_request', id, name });
      }),
    mask: (text) => masker.mask(text),
    addSecret: (value) => masker.add(value),
  };
  let result: Awaited<ReturnType<typeof runJob>>;
  try {
    const job = buildJobs(findPipeline(modules, task.entrypoint), task.args).find(
      (candidate) => candidate.id === task.jobId,
    );
    if (!job) throw new Error(`the pipeline has no job "${task.jobId}"`);
    result = await runJob(job, runtime);
  } catch (error) {
    result = { ok: false, phase: 'action', error: (error as Error).message };
  }
  await send({ type: 'result', result });
}

/** The runner records it as the node's one resource sample when the node ends before the first interval. */
function sendUsage(): Promise<void> {
  const usage = process.resourceUsage();
  return send({
    type: 'usage',
    cpu_us: usage.userCPUTime + usage.systemCPUTime,
    max_rss_bytes: usage.maxRSS * 1024,
  });
}

/**
 * Entry point of a node process: the compiled pipeline bundle calls it with the modules of `.sparkwing/`.
 * The runner sends one task over IPC; the process answers with a plan or a job result and exits.
 */
/** Nothing a job started may outlive it: leftover command groups are killed before the process exits. */
function exit(code: number): never {
  killSpawnedGroups();
  process.exit(code);
}

export function childMain(modules: Record<string, unknown>[]): void {
  const abort = new AbortController();
  process.on('SIGTERM', () => abort.abort(new Error('terminated')));
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'abort') abort.abort(new Error(message.reason));
    if (message.type !== 'task') return;
    execute(modules, message.task, abort).then(
      () => sendUsage().then(() => exit(0)),
      () => sendUsage().then(() => exit(1)),
    );
  });
}
