import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_LOGS_URL, openLocalStack } from '../local/stack.js';
import { isAlive } from './process.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../../../..');
const CLI = join(ROOT, 'packages/cli/bin/sparkwing.js');

let home: string;

function sparkwing(args: string[], cwd = ROOT) {
  return run(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', SPARKWING_HOME: home },
    timeout: 60_000,
  });
}

async function record(): Promise<{ pid: number; url: string }> {
  return JSON.parse(await readFile(join(home, 'dashboard.pid'), 'utf8'));
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'sparkwing-dashboard-'));
});
afterAll(async () => {
  await sparkwing(['dashboard', 'kill']).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
});

describe('sparkwing dashboard', { timeout: 120_000 }, () => {
  it('starts detached, shows runs made by other processes with live logs, replaces itself and stops', async () => {
    const started = await sparkwing(['dashboard', 'start', '--port', '0']);
    expect(started.stdout).toMatch(/dashboard running at http:\/\/127\.0\.0\.1:\d+/);
    const first = await record();
    expect(isAlive(first.pid)).toBe(true);

    const session = (await (await fetch(`${first.url}/api/session`)).json()) as {
      authenticated: boolean;
      mode: string;
    };
    expect(session).toMatchObject({ authenticated: true, mode: 'local' });
    const page = await fetch(`${first.url}/runs/anything`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');

    // With the dashboard up, a run goes through it (it owns the store) instead of opening SQLite itself.
    const viaDashboard = await sparkwing([
      'run',
      'hello',
      '--dir',
      join(ROOT, 'examples/hello'),
      '-o',
      'json',
    ]);
    const startedEvent = JSON.parse(viaDashboard.stdout.split('\n')[0]!) as { via: string };
    expect(startedEvent.via).toBe(`dashboard ${first.url}`);
    // The APIs it mounts for that check the bearer like the services do.
    const anonymous = await fetch(`${first.url}/_local/controller/api/v1/runs`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: expect.any(String) } });
    const runs = (await (await fetch(`${first.url}/api/v1/runs`)).json()) as {
      runs: { id: string; pipeline: string; status: string; trigger: { actor: string | null } }[];
    };
    const hello = runs.runs.find((r) => r.pipeline === 'hello');
    expect(hello?.status).toBe('success');
    // The run is the user's, not the generated admin token's.
    expect(hello?.trigger.actor).toBe(userInfo().username);
    // The run's in-process runner signed off when it finished: nothing is left to turn "lost".
    const runners = (await (await fetch(`${first.url}/api/v1/runners`)).json()) as { runners: unknown[] };
    expect(runners.runners).toEqual([]);
    const stream = await fetch(`${first.url}/api/v1/logs/${hello!.id}/lint/stream`);
    const text = await stream.text();
    expect(text).toContain('id: 1');
    expect(text).toContain('event: end');

    await followsAnotherProcess(first.url);

    const status = await sparkwing(['dashboard', 'status', '-o', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: first.pid, answering: true });
    const legacy = await sparkwing(['dashboard', 'status', '--json']);
    expect(JSON.parse(legacy.stdout)).toEqual(JSON.parse(status.stdout));

    const again = await sparkwing(['dashboard', 'start', '--port', '0']);
    expect(again.stdout).toContain(`stopped the previous dashboard (pid ${first.pid})`);
    const second = await record();
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);

    const killed = await sparkwing(['dashboard', 'kill']);
    expect(killed.stdout).toContain(`stopped the dashboard (pid ${second.pid})`);
    expect(isAlive(second.pid)).toBe(false);
    const after = await sparkwing(['dashboard', 'status']).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect(after).toMatchObject({ code: 1 });
    expect(after.stdout).toContain('not running');
  });
});

/** This test process plays `sparkwing run` in another terminal: the dashboard must stream what it appends. */
async function followsAnotherProcess(url: string): Promise<void> {
  const stack = await openLocalStack({ home, sweep: false });
  try {
    const { run_id } = await stack.controller.trigger({ pipeline: 'live' });
    const plan = await stack.controller.claim({ runner_id: 'other-terminal', wait_ms: 2_000, run_id });
    const token = plan!.lease.token;
    await stack.controller.startNode(run_id, plan!.node.id, token, { runner_id: 'other-terminal' });
    const append = async (lines: string[], final = false) => {
      const body = lines.map((msg, i) =>
        JSON.stringify({ msg, ...(final && i === lines.length - 1 ? { final: true } : {}) }),
      );
      const response = await stack.logsFetch(`${LOCAL_LOGS_URL}/api/v1/logs/${run_id}/${plan!.node.id}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body: `${body.join('\n')}\n`,
      });
      expect(response.status).toBe(200);
    };
    await append(['first', 'second']);
    const listed = (await (await fetch(`${url}/api/v1/runs`)).json()) as {
      runs: { id: string; status: string }[];
    };
    expect(listed.runs.find((r) => r.id === run_id)?.status).toBe('running');

    const stream = await fetch(`${url}/api/v1/logs/${run_id}/${plan!.node.id}/stream`);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await until(/^id: 2$/m);
    await append(['third'], true);
    await until(/^event: end$/m);
    expect(text).toContain('"msg":"third"');
    await reader.cancel().catch(() => undefined);
  } finally {
    await stack.close();
  }
}
