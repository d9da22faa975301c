import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleDigest } from '@sparkwing/contracts';
import type { ChildTask } from '@sparkwing/sdk';
import { describe, expect, it } from 'vitest';
import { bundleKey, bundlePipeline } from '../src/bundle.js';
import { classifyExit } from '../src/classify.js';
import { NodeProcess } from '../src/node-process.js';
import { supervise } from '../src/supervise.js';
import { tempDir, writeRepo } from './helpers.js';

const SOURCE = `import { pipeline } from '@sparkwing/sdk';
export const ci = pipeline((p) => {
  const a = p.job('a', async (ctx) => { await ctx.sh('echo from-a'); return { n: 1 }; });
  p.job('b', async (ctx) => { const t = await ctx.secret('TOKEN'); console.log('raw ' + t); return ctx.output(a); }).needs(a);
  p.job('c', (ctx) => ctx.sh('exit 7')).needs('b');
});
`;

function run(bundlePath: string, cwd: string, task: ChildTask) {
  const lines: string[] = [];
  const proc = new NodeProcess({
    bundlePath,
    task,
    cwd,
    env: process.env,
    cgroup: null,
    onLine: (stream, msg) => lines.push(`${stream}:${msg}`),
    onSecret: async () => 'hunter2',
  });
  return { proc, lines };
}

describe('compiled pipeline in a node process', () => {
  it('bundles once per content hash and reuses the cached bundle', async () => {
    const repo = writeRepo(SOURCE);
    const home = tempDir('home');
    const first = await bundlePipeline(join(repo, '.sparkwing'), home);
    const second = await bundlePipeline(join(repo, '.sparkwing'), home);
    expect(first.source).toBe('built');
    expect(second).toMatchObject({ source: 'local', key: first.key, path: first.path });
    expect(bundleKey(join(repo, '.sparkwing'))).toBe(first.key);
  });

  it('executes a cached bundle only when its content has the digest the run recorded', async () => {
    const dir = join(writeRepo(SOURCE), '.sparkwing');
    // The cache's /bin store as the runner sees it; a compromised store answers with other bytes below.
    const store = new Map<string, Buffer>();
    const bin = {
      get: async (key: string) => store.get(key) ?? null,
      put: async (key: string, body: Buffer) => void store.set(key, body),
    };
    const built = await bundlePipeline(dir, tempDir('home'), { bin });
    expect(built.source).toBe('built');
    expect(built.digest).toBe(bundleDigest(readFileSync(built.path)));
    expect(store.get(built.digest)?.equals(readFileSync(built.path))).toBe(true);

    const home2 = tempDir('home');
    const remote = await bundlePipeline(dir, home2, { bin, digest: built.digest });
    expect(remote).toMatchObject({ source: 'remote', digest: built.digest });

    const hostile = Buffer.from('process.exit(66);\n');
    store.set(built.digest, hostile);
    const refused: string[] = [];
    const rebuilt = await bundlePipeline(dir, tempDir('home'), {
      bin,
      digest: built.digest,
      onRefused: (why) => refused.push(why),
    });
    expect(refused).toEqual([
      `refused the cached compiled pipeline ${built.digest}: its content is ${bundleDigest(hostile)}`,
    ]);
    expect(rebuilt).toMatchObject({ source: 'built', digest: built.digest });
    expect(readFileSync(rebuilt.path).includes(hostile)).toBe(false);

    // A local file under the digest's name is verified too, and replaced by the checkout's build.
    writeFileSync(remote.path, hostile);
    const local = await bundlePipeline(dir, home2, { digest: built.digest });
    expect(local).toMatchObject({ source: 'built', digest: built.digest, path: remote.path });
    expect(bundleDigest(readFileSync(remote.path))).toBe(built.digest);
  });

  it('evaluates the plan and runs jobs with outputs, secrets and exit codes', async () => {
    const repo = writeRepo(SOURCE);
    const bundle = await bundlePipeline(join(repo, '.sparkwing'), tempDir('home'));
    const plan = run(bundle.path, repo, { kind: 'plan', entrypoint: 'ci', args: {} });
    const planExit = await plan.proc.exited;
    expect(planExit.message).toEqual({
      type: 'plan',
      plan: { nodes: [{ id: 'a' }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }] },
    });

    const job = (jobId: string, outputs: Record<string, unknown> = {}) =>
      run(bundle.path, repo, {
        kind: 'job',
        entrypoint: 'ci',
        runId: 'run_1',
        jobId,
        args: {},
        outputs,
        cwd: repo,
      });
    const a = job('a');
    const aExit = await a.proc.exited;
    expect(aExit.message).toEqual({ type: 'result', result: { ok: true, output: { n: 1 } } });
    expect(a.lines).toContain('stdout:from-a');

    const b = job('b', { a: { n: 1 } });
    expect((await b.proc.exited).message).toEqual({ type: 'result', result: { ok: true, output: { n: 1 } } });
    expect(b.lines).toContain('stdout:raw hunter2');

    const c = job('c');
    const cExit = await c.proc.exited;
    expect(
      classifyExit({ exit: cExit, timedOut: false, cancelled: false, oomKills: 0, logsAuthFailed: false }),
    ).toEqual({
      outcome: 'failed',
      failure_reason: null,
      exit_code: 7,
      error: 'command "exit 7" exited with code 7',
    });
  });

  it('records one sample at exit for a node that ends before the first interval sample', async () => {
    const repo = writeRepo(SOURCE);
    const bundle = await bundlePipeline(join(repo, '.sparkwing'), tempDir('home'));
    const { proc } = run(bundle.path, repo, {
      kind: 'job',
      entrypoint: 'ci',
      runId: 'run_1',
      jobId: 'a',
      args: {},
      outputs: {},
      cwd: repo,
    });
    const samples: unknown[] = [];
    const exit = await supervise(proc, {
      timeoutS: null,
      onTimeout: () => undefined,
      onSample: (point) => samples.push(point),
      sampleIntervalMs: 600_000,
      mustKill: () => false,
    });
    expect(exit.message).toMatchObject({ type: 'result', result: { ok: true } });
    expect(samples).toEqual([]);
    const sample = exit.exitSample!;
    // A Node process: tens of MiB resident at its peak, and booting it took CPU time.
    expect(sample.memory_bytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(sample.cpu_millicores).toBeGreaterThan(0);
    expect(Date.parse(sample.ts)).not.toBeNaN();
  });

  it('leaves the exit sample out once interval samples were delivered', async () => {
    const repo = writeRepo(SOURCE);
    const bundle = await bundlePipeline(join(repo, '.sparkwing'), tempDir('home'));
    const { proc } = run(bundle.path, repo, { kind: 'plan', entrypoint: 'ci', args: {} });
    let delivered = 0;
    // A Node process lives far longer than 20 ms, so interval samples are delivered.
    const exit = await supervise(proc, {
      timeoutS: null,
      onTimeout: () => undefined,
      onSample: () => {
        delivered += 1;
      },
      sampleIntervalMs: 20,
      mustKill: () => false,
    });
    expect(exit.message).toMatchObject({ type: 'plan' });
    expect(delivered).toBeGreaterThan(0);
    expect(exit.exitSample).toBeNull();
  });
});
