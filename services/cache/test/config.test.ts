import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.js';

const MAIN = resolve(import.meta.dirname, '../dist/main.js');

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = configSchema.parse({});
    expect(config.PORT).toBe(8090);
    expect(config.SPARKWING_DATA_DIR).toBe('/data');
    expect(config.SPARKWING_FETCH_INTERVAL).toBe(30_000);
    expect(config.SPARKWING_PROXY_UPSTREAM_NPM).toBe('https://registry.npmjs.org');
  });

  it('exits 1 with a readable message on bad values', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        SPARKWING_FETCH_INTERVAL: 'soon',
        SPARKWING_PROXY_UPSTREAM_NPM: 'not a url',
      },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('SPARKWING_FETCH_INTERVAL');
    expect(result.stderr).toContain('SPARKWING_PROXY_UPSTREAM_NPM');
  });
});
