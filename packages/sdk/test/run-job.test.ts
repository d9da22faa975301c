import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJobs, type JobRuntime, type LogRecord, Masker, pipeline, runJob } from '../src/index.js';
import { killSpawnedGroups } from '../src/shell.js';

function runtime(overrides: Partial<JobRuntime> = {}) {
  const records: LogRecord[] = [];
  const masker = new Masker();
  const rt: JobRuntime = {
    runId: 'run_1',
    jobId: 'job',
    args: {},
    outputs: {},
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
    signal: new AbortController().signal,
    write: (record) => records.push(record),
    getSecret: async (name) =>
      name === 'TOKEN' ? 's3cr3t-value' : Promise.reject(new Error('no such secret')),
    mask: (text) => masker.mask(text),
    addSecret: (value) => masker.add(value),
    ...overrides,
  };
  return { rt, records };
}

function jobOf(p: ReturnType<typeof pipeline>, id: string) {
  const job = buildJobs(p, {}).find((candidate) => candidate.id === id);
  if (!job) throw new Error(`no job ${id}`);
  return job;
}

describe('runJob', () => {
  it('runs steps in dependency order and returns their outputs', async () => {
    const order: string[] = [];
    const p = pipeline((b) => {
      b.job('build')
        .step('c', () => void order.push('c'), { needs: ['a', 'b'] })
        .step('a', async () => {
          await new Promise((r) => setTimeout(r, 20));
          order.push('a');
          return 'A';
        })
        .step('b', () => {
          order.push('b');
          return 'B';
        });
    });
    const { rt } = runtime();
    const result = await runJob(jobOf(p, 'build'), rt);
    expect(result).toEqual({ ok: true, output: { a: 'A', b: 'B', c: undefined } });
    expect(order).toEqual(['b', 'a', 'c']);
  });

  it('stops starting steps after a failure', async () => {
    const ran: string[] = [];
    const p = pipeline((b) => {
      b.job('j')
        .step('first', () => {
          throw new Error('boom');
        })
        .step('second', () => void ran.push('second'), { needs: ['first'] });
    });
    const result = await runJob(jobOf(p, 'j'), runtime().rt);
    expect(result).toEqual({ ok: false, phase: 'action', error: 'boom' });
    expect(ran).toEqual([]);
  });

  it('exposes outputs of needed jobs to dependents', async () => {
    const p = pipeline((b) => {
      const test = b.job('test', () => ({ passed: 7 }));
      b.job('report', (ctx) => `passed=${ctx.output(test).passed}`).needs(test);
    });
    const { rt } = runtime({ jobId: 'report', outputs: { test: { passed: 7 } } });
    expect(await runJob(jobOf(p, 'report'), rt)).toEqual({ ok: true, output: 'passed=7' });
  });

  it('throws with the exit code of a failing command and streams its output', async () => {
    const p = pipeline((b) => void b.job('j', (ctx) => ctx.sh('echo out; echo err >&2; exit 4')));
    const { rt, records } = runtime();
    expect(await runJob(jobOf(p, 'j'), rt)).toEqual({
      ok: false,
      phase: 'action',
      error: 'command "echo out; echo err >&2; exit 4" exited with code 4',
      exitCode: 4,
    });
    expect(records).toEqual([
      { stream: 'stdout', step: undefined, msg: 'out' },
      { stream: 'stderr', step: undefined, msg: 'err' },
    ]);
  });

  it('masks every secret value read, in command output, logs and errors', async () => {
    const p = pipeline(
      (b) =>
        void b.job('j', async (ctx) => {
          const token = await ctx.secret('TOKEN');
          await ctx.exec('echo', [`token=${token}`]);
          ctx.log('using', token);
          throw new Error(`bad token ${token}`);
        }),
    );
    const { rt, records } = runtime();
    const result = await runJob(jobOf(p, 'j'), rt);
    expect(result).toEqual({ ok: false, phase: 'action', error: 'bad token ***' });
    expect(records.map((r) => r.msg)).toEqual(['token=***', 'using ***']);
    expect(JSON.stringify(records)).not.toContain('s3cr3t');
  });

  it('fails at the verify stage when the postcondition throws', async () => {
    const p = pipeline(
      (b) =>
        void b
          .job('j', () => ({ size: 0 }))
          .verify((_ctx, out) => {
            if (out.size === 0) throw new Error('artifact is empty');
          }),
    );
    expect(await runJob(jobOf(p, 'j'), runtime().rt)).toEqual({
      ok: false,
      phase: 'verify',
      error: 'artifact is empty',
    });
  });

  it('kills a command when the signal aborts', async () => {
    const abort = new AbortController();
    const p = pipeline((b) => void b.job('j', (ctx) => ctx.sh('sleep 30')));
    const pending = runJob(jobOf(p, 'j'), runtime({ signal: abort.signal }).rt);
    setTimeout(() => abort.abort(), 50);
    const result = await pending;
    expect(result.ok).toBe(false);
  });
});

describe('Masker', () => {
  it('masks longest values first and each line of multi-line secrets', () => {
    const masker = new Masker();
    masker.add('abc');
    masker.add('abcdef');
    masker.add('line1\nline2');
    expect(masker.mask('x abcdef y abc line2')).toBe('x *** y *** ***');
  });
});

describe('killSpawnedGroups', () => {
  it('does not wait for backgrounded processes, and kills them when the job ends', async () => {
    const p = pipeline((b) => void b.job('j', (ctx) => ctx.sh('sleep 30 & echo $!')));
    const { rt, records } = runtime();
    expect((await runJob(jobOf(p, 'j'), rt)).ok).toBe(true);
    const pid = Number(records[0]?.msg);
    expect(isAlive(pid)).toBe(true);
    killSpawnedGroups();
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(pid)).toBe(false);
  });
});

/** Running (a killed process can linger as a zombie until its new parent reaps it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
