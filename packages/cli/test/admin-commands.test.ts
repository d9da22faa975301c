import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sparkwing, temp } from './remote-helpers.js';

// Each command opens the local store in a new process: a dozen of them on a busy machine take a while.
describe('sparkwing tokens and secrets (local store)', { timeout: 240_000 }, () => {
  const env = { SPARKWING_HOME: temp('home'), SPARKWING_CONFIG_DIR: temp('config') };

  it('creates a token shown once, lists it without its secret and revokes it', async () => {
    const created = await sparkwing(
      ['tokens', 'create', '--name', 'ci', '--kind', 'service', '--scope', 'runs.read', '-o', 'json'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const token = JSON.parse(created.stdout);
    expect(token).toMatchObject({ name: 'ci', kind: 'service', scopes: ['runs.read'] });
    expect(token.token).toMatch(/^swt_/);

    const text = await sparkwing(['tokens', 'create', '--name', 'dev', '--scope', 'runs.write'], env);
    expect(text.stdout).toMatch(/^swt_\S+\n$/);
    expect(text.stderr).toContain('(dev, user: runs.write): shown only now');

    const list = await sparkwing(['tokens', 'list', '-o', 'json'], env);
    const names = JSON.parse(list.stdout).tokens.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['ci', 'dev']));
    expect(list.stdout).not.toContain(token.token);
    const table = await sparkwing(['tokens', 'list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^PREFIX\s+NAME\s+KIND\s+SCOPES\s+CREATED\s+LAST USED$/);
    expect(table.stdout).toMatch(new RegExp(`${token.prefix}\\s+ci\\s+service\\s+runs\\.read\\s`));

    const revoked = await sparkwing(['tokens', 'revoke', token.prefix, '-o', 'json'], env);
    expect(JSON.parse(revoked.stdout)).toEqual({ prefix: token.prefix, revoked: true });
    const after = JSON.parse((await sparkwing(['tokens', 'list', '-o', 'json'], env)).stdout);
    expect(after.tokens.map((t: { prefix: string }) => t.prefix)).not.toContain(token.prefix);
    const again = await sparkwing(['tokens', 'revoke', token.prefix], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`unknown token "${token.prefix}"`);

    const noScope = await sparkwing(['tokens', 'create', '--name', 'x'], env);
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('pass at least one --scope');
    const badScope = await sparkwing(['tokens', 'create', '--name', 'x', '--scope', 'root'], env);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('Allowed choices are runs.read');
  });

  it('sets secrets from stdin or --value, lists names only and removes them', async () => {
    const piped = spawnSync(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/sparkwing.js'), 'secrets', 'set', 'npm-token', '-o', 'json'],
      { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env }, input: 's3cret-from-stdin\n' },
    );
    expect(piped.status, piped.stderr.toString()).toBe(0);
    expect(JSON.parse(piped.stdout.toString())).toMatchObject({ name: 'npm-token' });
    const set = await sparkwing(['secrets', 'set', 'deploy-key', '--value', 'v@lue'], env);
    expect(set.stdout).toBe('stored secret deploy-key\n');
    const empty = await sparkwing(['secrets', 'set', 'nothing'], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('empty secret value');

    const list = await sparkwing(['secrets', 'list'], env);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+CREATED\s+UPDATED$/);
    expect(list.stdout).toMatch(/^deploy-key\s/m);
    expect(list.stdout).toMatch(/^npm-token\s/m);
    expect(list.stdout).not.toContain('s3cret');
    const json = JSON.parse((await sparkwing(['secrets', 'list', '-o', 'json'], env)).stdout);
    expect(json.secrets.map((s: { name: string }) => s.name).sort()).toEqual(['deploy-key', 'npm-token']);

    const removed = await sparkwing(['secrets', 'rm', 'npm-token', '-o', 'json'], env);
    expect(JSON.parse(removed.stdout)).toEqual({ name: 'npm-token', removed: true });
    const gone = await sparkwing(['secrets', 'rm', 'npm-token'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('unknown secret "npm-token"');
    const bad = await sparkwing(['secrets', 'set', '../etc', '--value', 'x'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('validation_failed');
  });
});
