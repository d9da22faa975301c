import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../src/profiles/resolve.js';
import { loadProfiles, ProfilesError, profilesPath } from '../src/profiles/store.js';
import { sparkwing, temp } from './remote-helpers.js';

describe('sparkwing profile', () => {
  it('adds, lists (tokens masked), switches and removes profiles in a 0600 file', async () => {
    const config = temp('config');
    const env = { SPARKWING_CONFIG_DIR: config };
    const add = await sparkwing(
      ['profile', 'add', 'prod', '--url', 'http://127.0.0.1:1', '--token', 'swt_secret_token_value'],
      env,
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('(default)');
    await sparkwing(
      [
        'profile',
        'add',
        'staging',
        '--url',
        'http://127.0.0.1:2',
        '--token',
        'swt_other_token_value',
        '--cache-url',
        'http://127.0.0.1:3',
      ],
      env,
    );
    const file = profilesPath(config);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadProfiles(file)).toEqual({
      default: 'prod',
      profiles: {
        prod: { controller: { url: 'http://127.0.0.1:1', token: 'swt_secret_token_value' } },
        staging: {
          controller: { url: 'http://127.0.0.1:2', token: 'swt_other_token_value' },
          cache: { url: 'http://127.0.0.1:3' },
        },
      },
    });

    const list = await sparkwing(['profile', 'list', '-o', 'json'], env);
    expect(list.stdout).not.toContain('swt_secret_token_value');
    expect(
      JSON.parse(list.stdout).profiles.map((row: { name: string; default: boolean }) => [
        row.name,
        row.default,
      ]),
    ).toEqual([
      ['prod', true],
      ['staging', false],
    ]);

    expect((await sparkwing(['profile', 'use', 'staging'], env)).code).toBe(0);
    expect(loadProfiles(file).default).toBe('staging');
    expect((await sparkwing(['profile', 'remove', 'staging'], env)).code).toBe(0);
    expect(loadProfiles(file)).toEqual({ profiles: { prod: expect.any(Object) } });

    const unknown = await sparkwing(['profile', 'use', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no profile "nope" (known: prod)');
  });

  it('refuses a bad URL or a missing option as usage errors (exit 2)', async () => {
    const env = { SPARKWING_CONFIG_DIR: temp('config') };
    const badUrl = await sparkwing(['profile', 'add', 'x', '--url', 'ftp://nope', '--token', 't'], env);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--url must be an http(s) URL');
    expect((await sparkwing(['profile', 'add', 'x', '--url', 'http://127.0.0.1:1'], env)).code).toBe(2);
    expect((await sparkwing(['runs', 'prune'], env)).code).toBe(2);
  });

  it('uses $XDG_CONFIG_HOME/sparkwing when SPARKWING_CONFIG_DIR is unset', async () => {
    const xdg = temp('xdg');
    const add = await sparkwing(['profile', 'add', 'p', '--url', 'http://127.0.0.1:1', '--token', 'tok'], {
      XDG_CONFIG_HOME: xdg,
      HOME: temp('home'),
    });
    expect(add.code, add.stderr).toBe(0);
    expect(loadProfiles(join(xdg, 'sparkwing', 'profiles.yaml')).default).toBe('p');
  });

  it('resolves --profile, then the project defaults.profile, then the file default', () => {
    const config = temp('config');
    const file = profilesPath(config);
    mkdirSync(config, { recursive: true });
    writeFileSync(
      file,
      'default: a\nprofiles:\n  a: {controller: {url: "http://127.0.0.1:1", token: t}}\n  b: {controller: {url: "http://127.0.0.1:2", token: t}}\n',
    );
    const project = temp('project');
    mkdirSync(join(project, '.sparkwing'));
    expect(resolveProfile(file, undefined, project)).toMatchObject({ name: 'a', source: 'default' });
    writeFileSync(
      join(project, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - {name: ci, entrypoint: ci}\ndefaults:\n  profile: b\n',
    );
    expect(resolveProfile(file, undefined, project)).toMatchObject({ name: 'b', source: 'project' });
    expect(resolveProfile(file, 'a', project)).toMatchObject({ name: 'a', source: 'flag' });
    expect(() => resolveProfile(file, 'c', project)).toThrow(ProfilesError);
    expect(() => resolveProfile(file, 'c', project)).toThrow(/no profile "c" .*known: a, b/);
  });

  it('reports a malformed profiles file with its path', () => {
    const config = temp('config');
    writeFileSync(profilesPath(config), 'profiles:\n  a: {controller: {url: nope, token: t}}\n');
    expect(() => loadProfiles(profilesPath(config))).toThrow(
      /profiles\.yaml: profiles\.a\.controller\.url: must be an http/,
    );
  });

  it('documents every remote command with examples', async () => {
    for (const command of [
      ['profile'],
      ['pipeline', 'trigger'],
      ['runs', 'list'],
      ['runs', 'prune'],
      ['runs', 'errors'],
    ]) {
      const help = await sparkwing([...command, '--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:');
    }
  });
});
