import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownOomKillCounter } from '../src/cgroup.js';
import { readAgentFile } from '../src/commands.js';
import { resolveConfig, runnerEnvSchema, runnerFlagsSchema } from '../src/config.js';
import { LogTail } from '../src/tail.js';
import { tempDir } from './helpers.js';

describe('LogTail', () => {
  it('keeps the last 20 lines', () => {
    const tail = new LogTail();
    for (let i = 1; i <= 30; i += 1) tail.push(`line ${i}`);
    const lines = tail.text().split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('line 11');
    expect(lines.at(-1)).toBe('line 30');
  });

  it('stays within 4 KiB, dropping the oldest lines first', () => {
    const tail = new LogTail();
    for (let i = 0; i < 10; i += 1) tail.push(`${i}${'x'.repeat(999)}`);
    const text = tail.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4096);
    expect(text.split('\n').at(-1)?.startsWith('9')).toBe(true);
    const huge = new LogTail();
    huge.push('y'.repeat(10_000));
    expect(Buffer.byteLength(huge.text())).toBeLessThanOrEqual(4096);
  });
});

describe('runner configuration', () => {
  const env = runnerEnvSchema.parse({
    SPARKWING_CONTROLLER_URL: 'http://127.0.0.1:8080',
    SPARKWING_LOGS_URL: 'http://127.0.0.1:8091',
    SPARKWING_RUNNER_TOKEN: 'env-token',
    SPARKWING_RUNNER_LABELS: 'linux, amd64',
    HOME: '/home/ada',
  });

  it('takes flags over the agent file over the environment', () => {
    const flags = runnerFlagsSchema.parse({ label: ['gpu'], 'max-concurrent': '3', token: 'flag-token' });
    const config = resolveConfig(env, flags, {
      controller_url: 'http://10.0.0.1:8080',
      token: 'file-token',
      labels: ['laptop'],
    });
    expect(config).toMatchObject({
      controllerUrl: 'http://10.0.0.1:8080',
      logsUrl: 'http://127.0.0.1:8091',
      token: 'flag-token',
      labels: ['linux', 'amd64', 'laptop', 'gpu'],
      maxConcurrent: 3,
      metricsPort: 9090,
      home: '/home/ada/.sparkwing',
    });
  });

  it('requires the controller and logs URLs', () => {
    const flags = runnerFlagsSchema.parse({});
    expect(() => resolveConfig(runnerEnvSchema.parse({}), flags)).toThrow(/SPARKWING_CONTROLLER_URL/);
    expect(runnerFlagsSchema.safeParse({ 'max-concurrent': '0' }).success).toBe(false);
    expect(runnerEnvSchema.safeParse({ SPARKWING_LOGS_URL: 'not a url' }).success).toBe(false);
  });

  it('validates agent.yaml strictly', () => {
    const dir = tempDir('agent-file');
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'controller_url: http://127.0.0.1:8080\ntoken: t\nconcurrency: 2\n');
    expect(readAgentFile(good, undefined)).toEqual({
      controller_url: 'http://127.0.0.1:8080',
      token: 't',
      concurrency: 2,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'controller_url: http://127.0.0.1:8080\ntoken: t\nconcurency: 2\n');
    expect(() => readAgentFile(bad, undefined)).toThrow(/bad\.yaml/);
    expect(readAgentFile(undefined, dir)).toEqual({});
  });
});

describe('own cgroup oom_kill counter (runner pods cannot create node cgroups)', () => {
  it('reads the counter of the cgroup this process is in, live, and null when there is none', () => {
    const root = tempDir('oom');
    expect(ownOomKillCounter(root)).toBeNull();
    const self = readFileSync('/proc/self/cgroup', 'utf8');
    const v1 = /^\d+:memory:(.*)$/m.exec(self)?.[1];
    const v2 = /^0::(.*)$/m.exec(self)?.[1] ?? '/';
    const file =
      v1 !== undefined ? join(root, 'memory', v1, 'memory.oom_control') : join(root, v2, 'memory.events');
    mkdirSync(dirname(file), { recursive: true });
    const counts = (n: number) =>
      v1 !== undefined
        ? `oom_kill_disable 0\nunder_oom 0\noom_kill ${n}\n`
        : `low 0\nhigh 0\nmax 4\noom 1\noom_kill ${n}\n`;
    writeFileSync(file, counts(2));
    const counter = ownOomKillCounter(root);
    expect(counter?.()).toBe(2);
    writeFileSync(file, counts(5));
    expect(counter?.()).toBe(5);
  });
});
