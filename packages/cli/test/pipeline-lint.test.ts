import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = resolve(import.meta.dirname, '../bin/sparkwing.js');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function repo(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-lint-'));
  dirs.push(dir);
  mkdirSync(join(dir, '.sparkwing'));
  writeFileSync(join(dir, '.sparkwing', 'sparkwing.yaml'), yaml);
  return dir;
}

function lint(dir: string, ...extra: string[]) {
  const result = spawnSync(process.execPath, [CLI, 'pipeline', 'lint', '--dir', dir, ...extra], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, SPARKWING_HOME: dir },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('sparkwing pipeline lint', () => {
  it('accepts a valid file and lists each pipeline with its triggers', () => {
    const dir = repo(
      "pipelines:\n  - name: ci\n    entrypoint: ci\n    on:\n      push:\n        branches: [main]\n      schedule: ['TZ=Europe/Berlin 0 6 * * 1-5']\n    concurrency:\n      group: 'ci-{branch}'\n      cancel_in_progress: true\n",
    );
    const text = lint(dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ok, 1 pipeline(s)');
    expect(text.stdout).toContain('push {"branches":["main"]}');
    expect(text.stdout).toMatch(
      /schedule "TZ=Europe\/Berlin 0 6 \* \* 1-5" next \d{4}-\d\d-\d\dT0[45]:00:00\.000Z/,
    );
    expect(text.stdout).toContain('concurrency group "ci-{branch}" cancel_in_progress');
    const json = JSON.parse(lint(dir, '-o', 'json').stdout);
    expect(json).toMatchObject({ ok: true, pipelines: [{ name: 'ci' }] });
  });

  it('fails with exit 2 naming file, line and key, as the controller would', () => {
    const dir = repo("pipelines:\n  - name: ci\n    entrypoint: ci\n    on:\n      schedule: '0 25 * * *'\n");
    const result = lint(dir);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /sparkwing\.yaml:5: pipelines\[0\]\.on\.schedule: invalid cron "0 25 \* \* \*"/,
    );
  });
});
