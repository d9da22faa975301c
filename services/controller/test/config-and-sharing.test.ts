import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Controller, createController, githubCredentials, parseConfig } from '../src/index.js';

describe('configuration', () => {
  it('applies the documented defaults and parses durations to milliseconds', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      SPARKWING_DATA_DIR: '/data',
      SPARKWING_QUEUE_TIMEOUT: 15 * 60_000,
      SPARKWING_RUNNER_HEARTBEAT_TIMEOUT: 5 * 60_000,
      SPARKWING_RUNNER_STARTUP_GRACE: 2 * 60_000,
      SPARKWING_LEASE_DURATION: 60_000,
      SPARKWING_SWEEP_INTERVAL: 5_000,
      SPARKWING_DISPATCHER: 'none',
    });
    const custom = parseConfig({
      PORT: '0',
      SPARKWING_LEASE_DURATION: '500ms',
      SPARKWING_QUEUE_TIMEOUT: '1m30s',
    });
    expect(custom).toMatchObject({ PORT: 0, SPARKWING_LEASE_DURATION: 500, SPARKWING_QUEUE_TIMEOUT: 90_000 });
  });

  it('reads GitHub credentials: a token, or all three App variables, never half an App', () => {
    expect(githubCredentials(parseConfig({}))).toBeNull();
    expect(parseConfig({}).SPARKWING_SCHEDULE_INTERVAL).toBe(30_000);
    expect(githubCredentials(parseConfig({ GITHUB_TOKEN: 'ghp_x' }))).toEqual({
      kind: 'token',
      token: 'ghp_x',
    });
    const app = parseConfig({
      GITHUB_APP_ID: '12',
      GITHUB_APP_INSTALLATION_ID: '34',
      GITHUB_APP_PRIVATE_KEY: '-----BEGIN KEY-----\\nabc\\n-----END KEY-----',
    });
    expect(githubCredentials(app)).toEqual({
      kind: 'app',
      appId: '12',
      installationId: '34',
      privateKey: '-----BEGIN KEY-----\nabc\n-----END KEY-----',
    });
    expect(() => githubCredentials(parseConfig({ GITHUB_APP_ID: '12' }))).toThrow(/go together/);
  });

  it('names every bad variable in one message', () => {
    expect(() =>
      parseConfig({
        PORT: 'eighty',
        SPARKWING_DISPATCHER: 'nomad',
        SPARKWING_CACHE_URL: 'not a url',
        SPARKWING_SWEEP_INTERVAL: '5',
      }),
    ).toThrow(/PORT[\s\S]*SPARKWING_SWEEP_INTERVAL[\s\S]*SPARKWING_CACHE_URL[\s\S]*SPARKWING_DISPATCHER/);
  });
});

describe('several processes on one state.db (local mode)', () => {
  let dir: string;
  let a: Controller;
  let b: Controller;
  afterEach(() => {
    a?.close();
    b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares keys and admin token, never hands a node out twice, and wakes waiters of the other handle', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sparkwing-shared-'));
    a = createController({ dataDir: dir, allowLocalPath: true });
    b = createController({ dataDir: dir, allowLocalPath: true });
    expect(b.adminToken).toBe(a.adminToken);
    expect(b.signingKey).toBe(a.signingKey);
    const runs = Array.from(
      { length: 40 },
      (_, i) => a.queue.trigger({ pipeline: `p${i}`, trigger: { kind: 'local' } }).runId,
    );
    const seen: string[] = [];
    for (;;) {
      const fromA = a.queue.claim({ runnerId: 'a', labels: [] });
      const fromB = b.queue.claim({ runnerId: 'b', labels: [] });
      for (const got of [fromA, fromB]) if (got) seen.push(got.run.id);
      if (!fromA && !fromB) break;
    }
    expect(seen.sort()).toEqual([...runs].sort());
    const waiting = b.queue.claimWait({ runnerId: 'b', labels: [], runId: undefined }, 5_000);
    const { runId } = a.queue.trigger({ pipeline: 'late', trigger: { kind: 'local' } });
    expect((await waiting)?.run.id).toBe(runId);
  });
});
