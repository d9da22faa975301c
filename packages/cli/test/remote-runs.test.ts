import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ControllerClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profilesPath, saveProfiles } from '../src/profiles/store.js';
import { ROOT, sparkwing, startService, temp } from './remote-helpers.js';

describe('sparkwing runs against the local store', () => {
  const env = { SPARKWING_HOME: temp('home'), SPARKWING_CONFIG_DIR: temp('config') };
  let runId = '';

  beforeAll(async () => {
    const repo = temp('hello');
    cpSync(join(ROOT, 'examples/hello'), repo, { recursive: true, filter: (src) => !src.includes('/dist') });
    const run = await sparkwing(['run', 'broken', '--dir', repo, '-o', 'json'], env);
    expect(run.code).toBe(1);
    runId = JSON.parse(run.stdout.trim().split('\n')[0]!).run_id;
  }, 60_000);

  it('lists, shows and explains a failed run; prints its logs', async () => {
    const list = await sparkwing(['runs', 'list', '-o', 'json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).runs).toEqual([
      expect.objectContaining({ id: runId, pipeline: 'broken', status: 'failed' }),
    ]);

    const table = await sparkwing(['runs', 'list'], env);
    const [header, row] = table.stdout.split('\n');
    expect(header).toMatch(/^ID\s+PIPELINE\s+STATUS\s+CREATED\s+DURATION\s+REASON\s+TRIGGER$/);
    // The trigger filters reach the API: a local run is from no event and on no branch.
    for (const filter of [
      ['--event', 'pull_request'],
      ['--branch', 'main'],
    ]) {
      const filtered = await sparkwing(['runs', 'list', ...filter, '-o', 'json'], env);
      expect(filtered.code, filtered.stderr).toBe(0);
      expect(JSON.parse(filtered.stdout).runs).toEqual([]);
    }
    expect(row).toMatch(new RegExp(`^${runId}\\s+broken\\s+failed\\s+\\S+Z\\s+\\d`));
    // Columns line up under their names.
    expect(row!.indexOf('broken')).toBe(header!.indexOf('PIPELINE'));
    expect(row!.indexOf('failed')).toBe(header!.indexOf('STATUS'));

    const status = await sparkwing(['runs', 'status', runId], env);
    expect(status.stdout).toMatch(/prepare\s+success\s+\d+(\.\d)?m?s/);
    expect(status.stdout).toMatch(/test\s+failed\s+\d+(\.\d)?m?s/);

    const errors = await sparkwing(['runs', 'errors', runId], env);
    expect(errors.code).toBe(0);
    expect(errors.stdout).toContain('✗ test (exit code 3)');
    expect(errors.stdout).toContain(
      'reason: the command itself failed (exit code 3), no infrastructure cause found: see the log tail',
    );
    expect(errors.stdout).not.toContain('reason: none');
    expect(errors.stdout).toContain('FAIL greet: expected hello, got goodbye');

    const logs = await sparkwing(['runs', 'logs', runId, '--node', 'test'], env);
    expect(logs.stdout).toContain('running 3 tests');
    const all = await sparkwing(['runs', 'logs', runId], env);
    const prefixed = all.stdout.trim().split('\n');
    expect(prefixed).toContain(`${'test'.padEnd(7)} │ running 3 tests`);
    // Every node's lines start in the same column, whatever the node id's length.
    expect(new Set(prefixed.map((line) => line.indexOf('│'))).size).toBe(1);
    const followed = await sparkwing(
      ['runs', 'logs', runId, '--node', 'test', '--follow', '-o', 'json'],
      env,
    );
    expect(followed.code, followed.stderr).toBe(0);
    const records = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.some((record) => record.msg === 'running 3 tests' && record.node_id === 'test')).toBe(
      true,
    );
  });

  it('explains unknown runs and nodes, and refuses a trigger without a profile', async () => {
    const unknown = await sparkwing(['runs', 'errors', 'run_nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown run "run_nope"');
    const node = await sparkwing(['runs', 'logs', runId, '--node', 'nope'], env);
    expect(node.code).toBe(1);
    expect(node.stderr).toContain('has no node "nope"');
    const trigger = await sparkwing(
      ['pipeline', 'trigger', 'hello', '--dir', join(ROOT, 'examples/hello')],
      env,
    );
    expect(trigger.code).toBe(1);
    expect(trigger.stderr).toContain('no profile chosen');
  });

  it('prunes a run with its logs (dry run keeps it)', async () => {
    const recent = await sparkwing(['runs', 'prune', '--older-than', '30d', '--dry-run'], env);
    expect(recent.code, recent.stderr).toBe(0);
    expect(recent.stdout).toBe('0 run(s) would be deleted\n');
    const bad = await sparkwing(['runs', 'prune', '--older-than', '30 parsecs'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than: invalid duration "30 parsecs"');
    const dry = await sparkwing(['runs', 'prune', '--older-than', '0s', '--dry-run'], env);
    expect(dry.stdout).toContain(`would delete   ${runId}`);
    expect((await sparkwing(['runs', 'status', runId], env)).code).toBe(0);
    const pruned = await sparkwing(['runs', 'prune', '--run', runId, '-o', 'json'], env);
    expect(JSON.parse(pruned.stdout).runs).toEqual([
      expect.objectContaining({ run_id: runId, deleted: true }),
    ]);
    expect((await sparkwing(['runs', 'status', runId], env)).code).toBe(1);
    const logs = await sparkwing(['runs', 'list', '-o', 'json'], env);
    expect(JSON.parse(logs.stdout).runs).toEqual([]);
  });
});

describe('sparkwing runs against a controller', () => {
  const admin = `swa_${randomBytes(16).toString('hex')}`;
  const env = { SPARKWING_HOME: temp('home'), SPARKWING_CONFIG_DIR: temp('config') };
  let controller: { url: string; stop(): void };

  beforeAll(async () => {
    controller = await startService('controller', {
      SPARKWING_DATA_DIR: temp('controller'),
      SPARKWING_ADMIN_TOKEN: admin,
    });
    const client = new ControllerClient({ baseUrl: controller.url, token: admin });
    const readOnly = await client.createToken({ name: 'ro', kind: 'user', scopes: ['runs.read'] });
    saveProfiles(profilesPath(env.SPARKWING_CONFIG_DIR), {
      profiles: {
        ro: { controller: { url: controller.url, token: readOnly.token } },
        bad: { controller: { url: controller.url, token: 'swt_not_a_real_token' } },
        down: { controller: { url: 'http://127.0.0.1:9', token: 'x' } },
      },
    });
  }, 30_000);

  afterAll(() => controller?.stop());

  it('names the missing scope, a rejected token, an unreachable controller and an unknown run', async () => {
    const list = await sparkwing(['runs', 'list', '--profile', 'ro', '-o', 'json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).runs).toEqual([]);

    const cancel = await sparkwing(['runs', 'cancel', 'run_x', '--profile', 'ro'], env);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/permission denied .*missing scope runs\.write/);

    const bad = await sparkwing(['runs', 'list', '--profile', 'bad'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('rejected the token (401');

    const down = await sparkwing(['runs', 'list', '--profile', 'down'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the controller of profile "down" at http://127.0.0.1:9');

    const unknown = await sparkwing(['runs', 'status', 'run_x', '--profile', 'ro'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown run "run_x" (profile ro');
  });
});
