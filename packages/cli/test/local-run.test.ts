import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FAILURE_REASON_HELP } from '@sparkwing/contracts';
import { describe, expect, it } from 'vitest';
import { openLocalStack } from '../src/local/stack.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/bin/sparkwing.js');

function temp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparkwing-cli-${prefix}-`));
}

function hello(): string {
  const dir = temp('hello');
  cpSync(join(ROOT, 'examples/hello'), dir, { recursive: true, filter: (src) => !src.includes('/dist') });
  return dir;
}

function sparkwing(
  args: string[],
  home: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: home, SPARKWING_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

const events = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('sparkwing run (local mode)', () => {
  it('runs examples/hello with no services and records it in $SPARKWING_HOME', async () => {
    const home = temp('home');
    const repo = hello();
    const result = await sparkwing(['run', 'hello', '--dir', repo, '--arg', 'name=ada', '-o', 'json'], home);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const all = events(result.stdout);
    const finished = all.at(-1)!;
    expect(finished).toMatchObject({ event: 'run_finished', status: 'success' });
    const runId = finished.run_id as string;
    expect(
      all
        .filter((e) => e.event === 'node' && e.status === 'success')
        .map((e) => e.node_id)
        .sort(),
    ).toEqual(['_plan', 'build', 'lint', 'smoke', 'test']);
    expect(existsSync(join(home, 'state.db'))).toBe(true);
    expect(readdirSync(join(home, 'runs', runId)).sort()).toEqual(
      ['_plan.log', 'build.log', 'lint.log', 'smoke.log', 'test.log'].sort(),
    );
    const stack = await openLocalStack({ home, sweep: false });
    try {
      const detail = await stack.controller.getRun(runId);
      expect(detail.run).toMatchObject({ status: 'success', local_path: repo, pipeline: 'hello' });
      expect(detail.nodes.find((node) => node.id === 'smoke')?.output).toEqual({ greeting: 'hello, ada' });
      expect(detail.nodes.find((node) => node.id === 'build')?.steps).toEqual([
        { id: 'compile' },
        { id: 'stamp', needs: ['compile'] },
      ]);
    } finally {
      await stack.close();
    }
  });

  it('exits 1 on a failing pipeline and shows the failure with its log tail', async () => {
    const home = temp('home');
    const result = await sparkwing(['run', 'broken', '--dir', hello()], home);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('run failed');
    expect(result.stdout).toContain('✗ test (exit code 3)');
    expect(result.stdout).toContain('FAIL greet: expected hello, got goodbye');
  });

  it('explains a classified failure with the "what to do" text', async () => {
    const repo = temp('repo');
    mkdirSync(join(repo, '.sparkwing'));
    writeFileSync(
      join(repo, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - name: slow\n    entrypoint: slow\n',
    );
    writeFileSync(
      join(repo, '.sparkwing', 'slow.ts'),
      "import { pipeline } from '@sparkwing/sdk';\nexport const slow = pipeline((p) => { p.job('wait', (ctx) => ctx.sh('sleep 20')).timeout('1s'); });\n",
    );
    const result = await sparkwing(['run', 'slow', '--dir', repo], temp('home'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('reason: timeout');
    expect(result.stdout).toContain(FAILURE_REASON_HELP.timeout.action);
  });

  it('runs two pipelines concurrently on one fresh home', async () => {
    const home = temp('home');
    const [a, b] = await Promise.all([
      sparkwing(['run', 'hello', '--dir', hello(), '-o', 'json'], home),
      sparkwing(['run', 'broken', '--dir', hello(), '-o', 'json'], home),
    ]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(1);
    expect(events(a.stdout).at(-1)).toMatchObject({ status: 'success' });
    expect(events(b.stdout).at(-1)).toMatchObject({ status: 'failed' });
  });

  it('exits 2 on usage errors', async () => {
    const home = temp('home');
    expect((await sparkwing(['run', 'nope', '--dir', hello()], home)).code).toBe(2);
    expect((await sparkwing(['run', 'hello', '--dir', temp('empty')], home)).code).toBe(2);
    expect((await sparkwing(['run'], home)).code).toBe(2);
    const bad = await sparkwing(['run', 'hello', '--dir', hello(), '--arg', 'oops'], home);
    expect(bad.code).toBe(2);
  });

  it('cancels the run on SIGINT and exits 1; warns about jobs no local label satisfies', async () => {
    const repo = temp('repo');
    mkdirSync(join(repo, '.sparkwing'));
    writeFileSync(
      join(repo, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - name: gpu\n    entrypoint: gpu\n',
    );
    writeFileSync(
      join(repo, '.sparkwing', 'gpu.ts'),
      "import { pipeline } from '@sparkwing/sdk';\nexport const gpu = pipeline((p) => { p.job('train', () => 1).requires('gpu'); });\n",
    );
    const home = temp('home');
    const proc = spawn(process.execPath, [CLI, 'run', 'gpu', '--dir', repo, '-o', 'json'], {
      env: { PATH: process.env.PATH ?? '', HOME: home, SPARKWING_HOME: home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    const warned = new Promise<void>((resolveWarned) =>
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"unclaimable"')) resolveWarned();
      }),
    );
    await warned;
    proc.kill('SIGINT');
    const code = await new Promise<number | null>((done) => proc.on('exit', done));
    expect(code).toBe(1);
    const all = events(stdout);
    expect(all.find((e) => e.event === 'unclaimable')).toMatchObject({ node_id: 'train', requires: ['gpu'] });
    expect(all.at(-1)).toMatchObject({ event: 'run_finished', status: 'cancelled' });
  });
});
