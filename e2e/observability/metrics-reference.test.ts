import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readMetricsReference } from './lib/metrics-reference.js';
import { repoPath } from './lib/paths.js';

const run = promisify(execFile);

describe('metrics reference docs/metrics.md', () => {
  it("matches the services' registries (scripts/metrics-reference.mjs --check)", async () => {
    const { stdout } = await run('node', [repoPath('scripts/metrics-reference.mjs'), '--check'], {
      cwd: repoPath(),
    });
    expect(stdout).toMatch(/matches the registries/);
  });

  it('lists every service with its HTTP families and only sparkwing_ names', () => {
    const rows = readMetricsReference();
    const services = new Set(rows.map((r) => r.service));
    expect([...services].sort()).toEqual(['cache', 'controller', 'logs', 'runner', 'web']);
    for (const service of ['cache', 'controller', 'logs', 'web']) {
      expect(
        rows.some((r) => r.service === service && r.name === 'sparkwing_http_requests_total'),
        service,
      ).toBe(true);
    }
    for (const row of rows) expect(row.name).toMatch(/^sparkwing_[a-z0-9_]+$/);
  });

  it('has no id-like label names (cardinality discipline)', () => {
    for (const row of readMetricsReference()) {
      for (const label of row.labels) expect(label, row.name).not.toMatch(/(^|_)(id|token|pod|sha)$/);
    }
  });
});
