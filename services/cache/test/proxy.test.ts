import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { packTreeToBuffer } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CacheProcess, startCache, tempDir } from './helpers.js';

interface FakeUpstream {
  url: string;
  hits: Map<string, number>;
  failing: boolean;
  close(): Promise<void>;
}

let root: string;
let upstream: FakeUpstream;
let cache: CacheProcess;
let eager: CacheProcess;
let tarball: Buffer;

/** A tiny npm registry: one package (packument + tarball), a slow artifact and a Go module zip. */
async function startUpstream(): Promise<FakeUpstream> {
  const state = { failing: false, hits: new Map<string, number>() };
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1);
    if (state.failing) {
      res.statusCode = 503;
      res.end('down');
      return;
    }
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (path === '/tiny-pkg') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          name: 'tiny-pkg',
          'dist-tags': { latest: '1.0.0' },
          versions: {
            '1.0.0': {
              name: 'tiny-pkg',
              version: '1.0.0',
              main: 'index.js',
              dist: {
                tarball: `${base}/tiny-pkg/-/tiny-pkg-1.0.0.tgz`,
                shasum: createHash('sha1').update(tarball).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
              },
            },
          },
        }),
      );
      return;
    }
    if (path === '/tiny-pkg/-/tiny-pkg-1.0.0.tgz') {
      res.setHeader('content-type', 'application/octet-stream');
      res.end(tarball);
      return;
    }
    if (path === '/slow/-/slow-1.0.0.tgz') {
      setTimeout(() => res.end(Buffer.alloc(200_000, 7)), 300);
      return;
    }
    if (path === '/simple/tiny/') {
      res.setHeader('content-type', 'text/html');
      res.end(`<a href="${base}/packages/tiny-1.0-py3-none-any.whl#sha256=00">tiny-1.0-py3-none-any.whl</a>`);
      return;
    }
    if (path === '/packages/tiny-1.0-py3-none-any.whl') {
      res.end(Buffer.from('wheel-bytes'));
      return;
    }
    if (path === '/example.com/mod/@v/v1.0.0.zip') {
      res.end(Buffer.from('zip-bytes'));
      return;
    }
    res.statusCode = 404;
    res.end('{"error":"not found"}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: state.hits,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}

function rawStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  root = tempDir('proxy');
  const pkg = join(root, 'pkg', 'package');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'tiny-pkg', version: '1.0.0', main: 'index.js' }),
  );
  writeFileSync(join(pkg, 'index.js'), 'module.exports = 42;\n');
  tarball = await packTreeToBuffer({
    cwd: join(root, 'pkg'),
    files: ['package/package.json', 'package/index.js'],
  });
  upstream = await startUpstream();
  const env = {
    SPARKWING_PROXY_UPSTREAM_NPM: upstream.url,
    SPARKWING_PROXY_UPSTREAM_GOLANG: upstream.url,
    SPARKWING_PROXY_UPSTREAM_PYPI: upstream.url,
    SPARKWING_PROXY_UPSTREAM_PYPI_FILES: upstream.url,
  };
  cache = await startCache({ ...env, SPARKWING_PROXY_METADATA_TTL: '1h' });
  eager = await startCache({ ...env, SPARKWING_PROXY_METADATA_TTL: '1ms' });
});

afterAll(async () => {
  await cache?.stop();
  await eager?.stop();
  await upstream?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('package proxy', () => {
  it('misses, then hits, and rewrites npm tarball URLs through the proxy (no token needed)', async () => {
    const first = await fetch(`${cache.url}/proxy/npm/tiny-pkg`);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const doc = (await first.json()) as { versions: Record<string, { dist: { tarball: string } }> };
    expect(doc.versions['1.0.0']!.dist.tarball).toBe(`${cache.url}/proxy/npm/tiny-pkg/-/tiny-pkg-1.0.0.tgz`);
    const second = await fetch(`${cache.url}/proxy/npm/tiny-pkg`);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(((await second.json()) as typeof doc).versions['1.0.0']!.dist.tarball).toContain(cache.url);
    expect(upstream.hits.get('/tiny-pkg')).toBe(1);
    const head = await fetch(`${cache.url}/proxy/npm/tiny-pkg/-/tiny-pkg-1.0.0.tgz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(tarball.length);
  });

  it('points PyPI simple-page links at its /files/ route and caches wheels there', async () => {
    const page = await fetch(`${cache.url}/proxy/pypi/simple/tiny/`);
    expect(page.headers.get('x-cache')).toBe('MISS');
    const wheel = `${cache.url}/proxy/pypi/files/packages/tiny-1.0-py3-none-any.whl`;
    expect(await page.text()).toContain(`href="${wheel}#sha256=00"`);
    const first = await fetch(wheel);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(await first.text()).toBe('wheel-bytes');
    expect((await fetch(wheel)).headers.get('x-cache')).toBe('HIT');
    expect(upstream.hits.get('/packages/tiny-1.0-py3-none-any.whl')).toBe(1);
  });

  it('makes one upstream request for 20 concurrent misses', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${cache.url}/proxy/npm/slow/-/slow-1.0.0.tgz`)),
    );
    const bodies = await Promise.all(
      responses.map(async (response) => Buffer.from(await response.arrayBuffer())),
    );
    expect(upstream.hits.get('/slow/-/slow-1.0.0.tgz')).toBe(1);
    const expected = Buffer.alloc(200_000, 7);
    expect(bodies.every((body) => body.equals(expected))).toBe(true);
    expect(responses.every((response) => response.headers.get('x-cache') === 'MISS')).toBe(true);
  });

  it('serves stale metadata when the upstream fails, and keeps immutable artifacts without revalidating', async () => {
    expect((await fetch(`${eager.url}/proxy/npm/tiny-pkg`)).headers.get('x-cache')).toBe('MISS');
    expect(
      (await fetch(`${eager.url}/proxy/golang/example.com/mod/@v/v1.0.0.zip`)).headers.get('x-cache'),
    ).toBe('MISS');
    upstream.failing = true;
    try {
      const stale = await fetch(`${eager.url}/proxy/npm/tiny-pkg`);
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-cache')).toBe('STALE');
      const zip = await fetch(`${eager.url}/proxy/golang/example.com/mod/@v/v1.0.0.zip`);
      expect(zip.headers.get('x-cache')).toBe('HIT');
      expect(await zip.text()).toBe('zip-bytes');
      const never = await fetch(`${eager.url}/proxy/npm/never-seen`);
      expect(never.status).toBe(502);
    } finally {
      upstream.failing = false;
    }
    const fresh = await fetch(`${eager.url}/proxy/npm/tiny-pkg`);
    expect(fresh.headers.get('x-cache')).toBe('MISS');
    const metrics = await (await fetch(`${eager.url}/metrics`)).text();
    expect(metrics).toMatch(
      /sparkwing_proxy_requests_total\{registry="npm",result="stale",service="cache"\} 1/,
    );
    expect(metrics).toMatch(
      /sparkwing_proxy_requests_total\{registry="golang",result="hit",service="cache"\} 1/,
    );
    expect(metrics).toMatch(
      /sparkwing_proxy_upstream_duration_seconds_count\{service="cache",registry="npm"\} \d+/,
    );
  });

  it('passes upstream 404s through without caching them, refuses unknown registries and traversal', async () => {
    const missing = await fetch(`${cache.url}/proxy/npm/does-not-exist`);
    expect(missing.status).toBe(404);
    await fetch(`${cache.url}/proxy/npm/does-not-exist`);
    expect(upstream.hits.get('/does-not-exist')).toBe(2);
    expect((await fetch(`${cache.url}/proxy/maven/x`)).status).toBe(404);
    expect(await rawStatus(cache.port, '/proxy/npm/a/%2e%2e/%2e%2e/etc')).toBe(400);
    expect(await rawStatus(cache.port, '/proxy/npm/a/../../etc')).toBe(400);
    expect((await fetch(`${cache.url}/proxy/npm/a%2F..%2F..%2Fetc`)).status).toBe(400);
  });

  it('lets a real npm install fetch a package through it', () => {
    const project = join(root, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { 'tiny-pkg': '1.0.0' } }),
    );
    writeFileSync(join(root, 'user.npmrc'), '');
    writeFileSync(join(root, 'global.npmrc'), '');
    execFileSync(
      'npm',
      [
        'install',
        '--registry',
        `${cache.url}/proxy/npm/`,
        '--no-audit',
        '--no-fund',
        '--cache',
        join(root, 'npm-cache'),
        '--userconfig',
        join(root, 'user.npmrc'),
      ],
      {
        cwd: project,
        env: { PATH: process.env.PATH, HOME: root, npm_config_globalconfig: join(root, 'global.npmrc') },
        stdio: 'pipe',
      },
    );
    expect(readFileSync(join(project, 'node_modules/tiny-pkg/index.js'), 'utf8')).toBe(
      'module.exports = 42;\n',
    );
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    expect(lock.packages['node_modules/tiny-pkg']!.resolved).toBe(
      `${cache.url}/proxy/npm/tiny-pkg/-/tiny-pkg-1.0.0.tgz`,
    );
    // The first test's HEAD already stored the tarball: npm got it from the cache, not the upstream.
    expect(upstream.hits.get('/tiny-pkg/-/tiny-pkg-1.0.0.tgz')).toBe(1);
    expect(existsSync(join(project, 'node_modules/tiny-pkg/package.json'))).toBe(true);
  });
});
