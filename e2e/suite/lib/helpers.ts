import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CacheClient, ControllerClient, LogsClient } from '@sparkwing/client';
import type { RunDetail } from '@sparkwing/contracts';
import { repoPath } from './procs.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export function waitForRun(
  controller: ControllerClient,
  runId: string,
  timeoutMs = 90_000,
): Promise<RunDetail> {
  return until(
    `run ${runId} to finish`,
    async () => {
      const detail = await controller.getRun(runId);
      return ['success', 'failed', 'cancelled'].includes(detail.run.status) ? detail : undefined;
    },
    timeoutMs,
  );
}

export function nodeOf(detail: RunDetail, id: string) {
  const node = detail.nodes.find((candidate) => candidate.id === id);
  if (!node)
    throw new Error(`run ${detail.run.id} has no node ${id}: ${detail.nodes.map((n) => n.id).join(', ')}`);
  return node;
}

export async function nodeLog(logs: LogsClient, runId: string, nodeId: string): Promise<string> {
  return (await logs.read(runId, nodeId)).map((record) => record.msg).join('\n');
}

/** Sum of every sample of `family` whose labels include all of `labels`. */
export function metricValue(text: string, family: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(family) || line.startsWith('#')) continue;
    const match = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== family) continue;
    const body = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => body.includes(`${key}="${value}"`)))
      total += Number(match[3]);
  }
  return total;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  return response.text();
}

export function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'e2e',
  GIT_AUTHOR_EMAIL: 'e2e@example.invalid',
  GIT_COMMITTER_NAME: 'e2e',
  GIT_COMMITTER_EMAIL: 'e2e@example.invalid',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await run('git', args, cwd, GIT_ENV);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

/** A git repository at `dest` holding a copy of `source` (no dist/node_modules), committed on main. */
export async function gitCopy(source: string, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  cpSync(source, dest, {
    recursive: true,
    filter: (path) => !/\/(node_modules|dist)(\/|$)/.test(path.slice(source.length)),
  });
  writeFileSync(join(dest, '.gitignore'), 'node_modules/\n');
  await git(dest, 'init', '-q', '-b', 'main');
  await git(dest, 'add', '-A');
  await git(dest, 'commit', '-q', '-m', 'initial');
}

/** A committed copy of examples/hello for cluster runs (its jobs pass the build artifact as an output). */
export async function helloCopy(dest: string): Promise<void> {
  await gitCopy(repoPath('examples/hello'), dest);
}

/** Runs the built CLI with its config and home under `env`. */
export function cli(args: string[], cwd: string, env: Record<string, string>) {
  return run(process.execPath, [repoPath('packages/cli/bin/sparkwing.js'), ...args], cwd, {
    NO_COLOR: '1',
    ...env,
  });
}

export function listFiles(root: string, base = root): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(root, entry.name), base) : [relative(base, join(root, entry.name))],
  );
}

/** Uploads e2e/suite/fixtures/scenarios through the cache and triggers `pipeline` on the controller. */
export async function triggerFixture(
  clients: { cache: CacheClient; controller: ControllerClient },
  pipeline: string,
  args: Record<string, string> = {},
): Promise<string> {
  const root = repoPath('e2e/suite/fixtures/scenarios');
  const { upload_ref } = await clients.cache.uploadTree({ cwd: root, files: listFiles(root) });
  return (await clients.controller.trigger({ pipeline, args, upload_ref })).run_id;
}

export function nodeRunning(controller: ControllerClient, runId: string, nodeId: string) {
  return until(`${nodeId} of ${runId} running`, async () => {
    const node = (await controller.getRun(runId)).nodes.find((candidate) => candidate.id === nodeId);
    return node?.status === 'running' ? node : undefined;
  });
}
