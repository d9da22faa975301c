import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { claimOrThrow, errorOf, type Harness, harness, plannedRun } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const VALUE = 'super-secret-value-4f1c9b2e';

describe('secrets', () => {
  it('stores values encrypted, never lists them, and reveals them only to a node of the run', async () => {
    h = harness();
    const created = await h.admin.putSecret('DEPLOY_KEY', VALUE);
    expect(created.name).toBe('DEPLOY_KEY');
    await h.admin.putSecret('DEPLOY_KEY', `${VALUE}-v2`);
    const list = await h.admin.listSecrets();
    expect(list.secrets.map((s) => s.name)).toEqual(['DEPLOY_KEY']);
    expect(JSON.stringify(list)).not.toContain(VALUE);
    h.ctl.deps.db.$client.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(h.ctl.dbPath);
    expect(file.includes(Buffer.from(VALUE))).toBe(false);
    expect(file.includes(Buffer.from('DEPLOY_KEY'))).toBe(true);

    const run = await plannedRun(h, [{ id: 'a' }]);
    const a = await claimOrThrow(h, { runner_id: 'r1' });
    expect(await h.admin.runSecret(run, 'DEPLOY_KEY', a.lease.token)).toEqual({
      name: 'DEPLOY_KEY',
      value: `${VALUE}-v2`,
    });
    expect((await errorOf(h.admin.runSecret(run, 'MISSING', a.lease.token))).status).toBe(404);
    const other = await plannedRun(h, [{ id: 'b' }]);
    expect((await errorOf(h.admin.runSecret(other, 'DEPLOY_KEY', a.lease.token))).status).toBe(403);
    expect((await errorOf(h.admin.runSecret(run, 'DEPLOY_KEY', h.token(['runs.read'])))).status).toBe(403);
    expect((await errorOf(h.client(h.token(['runs.write'])).listSecrets())).message).toContain('admin');
    const bad = await h.req('POST', '/api/v1/secrets', {
      token: h.ctl.adminToken!,
      body: { name: '1-bad name', value: 'x' },
    });
    expect(bad.status).toBe(400);
    await h.admin.deleteSecret('DEPLOY_KEY');
    expect((await errorOf(h.admin.deleteSecret('DEPLOY_KEY'))).status).toBe(404);
    expect((await errorOf(h.admin.runSecret(run, 'DEPLOY_KEY', a.lease.token))).status).toBe(404);
  });

  it('keeps secrets readable across restarts with the key stored in the data dir', async () => {
    h = harness();
    await h.admin.putSecret('TOKEN', VALUE);
    const { createController } = await import('../src/index.js');
    const reopened = createController({ dataDir: h.dir });
    expect(reopened.secrets.reveal('TOKEN')).toBe(VALUE);
    reopened.close();
    const wrongKey = createController({ dataDir: h.dir, secretKey: 'another-secret-key-entirely' });
    expect(() => wrongKey.secrets.reveal('TOKEN')).toThrow();
    wrongKey.close();
  });
});
