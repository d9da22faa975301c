import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authHeaders,
  type CacheProcess,
  type FakeController,
  git,
  makeOrigin,
  nodeToken,
  startCache,
  startFakeController,
  tempDir,
} from './helpers.js';

// Tokens the fake controller vouches for, by what they may do.
const TOKENS = {
  logsReader: { kind: 'service', scopes: ['logs.read'] },
  runsReader: { kind: 'user', scopes: ['runs.read'] },
  person: { kind: 'user', scopes: ['runs.read', 'runs.write'] },
  service: { kind: 'service', scopes: ['runs.write'] },
} as const;
type Who = keyof typeof TOKENS | 'admin' | 'node' | 'otherRunNode';

let root: string;
let origin: { work: string; bare: string };
let controller: FakeController;
let cache: CacheProcess;

function tokenOf(who: Who): string {
  if (who === 'admin') return authHeaders().authorization!.slice('Bearer '.length);
  if (who === 'node') return nodeToken('run_scopes', 'build');
  if (who === 'otherRunNode') return nodeToken('run_other', 'build');
  return `tok-${who}`;
}

function call(who: Who, method: string, path: string, body?: unknown, type = 'application/json') {
  return fetch(`${cache.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokenOf(who)}`,
      ...(body === undefined ? {} : { 'content-type': type }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const register = (who: Who, name: string, url: string) => call(who, 'POST', '/git/repos', { name, url });

async function mirrorNames(): Promise<string[]> {
  const response = await call('admin', 'GET', '/git/repos');
  return ((await response.json()) as { repos: { name: string }[] }).repos.map((repo) => repo.name).sort();
}

beforeAll(async () => {
  root = tempDir('scopes');
  origin = makeOrigin(root);
  git(origin.work, 'commit', '-q', '--allow-empty', '-m', 'first');
  git(origin.work, 'push', '-q', origin.bare, 'main');
  controller = await startFakeController(
    Object.fromEntries(Object.entries(TOKENS).map(([who, token]) => [`tok-${who}`, token])) as never,
  );
  cache = await startCache({
    SPARKWING_CONTROLLER_URL: controller.url,
    SPARKWING_FETCH_INTERVAL: '1h',
    // The test's own directory is the only local path mirrors may come from.
    SPARKWING_MIRROR_ALLOWLIST: join(root, 'origin.git'),
  });
});

afterAll(async () => {
  await cache?.stop();
  await controller?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('mirror registration', () => {
  it('needs a service token with runs.write or admin', async () => {
    for (const who of ['logsReader', 'runsReader', 'person', 'node'] as const) {
      const response = await register(who, `by-${who}`, origin.bare);
      expect(response.status, who).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    expect((await register('service', 'by-service', origin.bare)).status).toBe(201);
    expect((await call('person', 'POST', '/git/repos/by-service/refresh')).status).toBe(403);
    expect((await call('service', 'POST', '/git/repos/by-service/refresh')).status).toBe(200);
    expect(await mirrorNames()).toEqual(['by-service']);
  });

  it('takes https:// to public hosts only: no local paths, file://, other schemes or private addresses', async () => {
    const refused = [
      '/etc',
      join(root, 'elsewhere.git'),
      `${origin.bare}/../../etc`,
      `file://${origin.bare}`,
      'file:///etc/passwd',
      'http://example.com/repo.git',
      'git://example.com/repo.git',
      'ssh://git@example.com/repo.git',
      'git@example.com:acme/repo.git',
      'ext::sh -c touch% /tmp/pwned',
      'https://127.0.0.1/repo.git',
      'https://localhost/repo.git',
      'https://[::1]/repo.git',
      'https://10.0.0.5/repo.git',
      'https://169.254.169.254/latest/meta-data',
      'https://192.168.1.1/repo.git',
      'https://[fd00::1]/repo.git',
      'https://[::ffff:127.0.0.1]/repo.git',
      'https://0.0.0.0/repo.git',
    ];
    for (const url of refused) {
      const response = await register('admin', 'refused', url);
      expect(response.status, url).toBe(400);
      const { error } = (await response.json()) as { error: { message: string; request_id: string } };
      expect(error.message, url).toContain('not allowed');
      expect(error.request_id).toBeTruthy();
    }
    expect(await mirrorNames()).toEqual(['by-service']);
  });
});

describe('store scopes (docs/cache.md)', () => {
  it('git reads need a node token or runs.read', async () => {
    expect(
      (await call('logsReader', 'GET', '/git/by-service/info/refs?service=git-upload-pack')).status,
    ).toBe(403);
    expect((await call('node', 'GET', '/git/by-service/info/refs?service=git-upload-pack')).status).toBe(200);
    expect((await call('runsReader', 'GET', '/archive?repo=by-service&ref=main')).status).toBe(200);
    expect((await call('logsReader', 'GET', '/file?repo=by-service&ref=main&path=x')).status).toBe(403);
  });

  it('uploads need runs.write; node tokens and readers may only download', async () => {
    for (const who of ['node', 'runsReader', 'logsReader'] as const) {
      expect(
        (await call(who, 'POST', '/sync/negotiate', { repo: 'by-service', commits: [] })).status,
        who,
      ).toBe(403);
      expect((await call(who, 'POST', '/upload', 'x', 'application/gzip')).status, who).toBe(403);
    }
    expect(
      (await call('person', 'POST', '/sync/negotiate', { repo: 'by-service', commits: [] })).status,
    ).toBe(200);
    const missing = `/uploads/up_${'0'.repeat(64)}`;
    expect((await call('logsReader', 'GET', missing)).status).toBe(403);
    expect((await call('node', 'GET', missing)).status).toBe(404);
  });

  it('blobs: reads need a node token or runs.read; writes a node token (or runs.write for /cache)', async () => {
    // Compiled pipelines are content-addressed: the key is the digest of the body.
    const bin = `/bin/sha256-${createHash('sha256').update('x').digest('hex')}`;
    expect((await call('person', 'PUT', bin, 'x', 'application/octet-stream')).status).toBe(403);
    expect((await call('node', 'PUT', bin, 'x', 'application/octet-stream')).status).toBe(201);
    expect((await call('logsReader', 'GET', bin)).status).toBe(403);
    expect((await call('runsReader', 'GET', bin)).status).toBe(200);
    expect((await call('runsReader', 'PUT', '/cache/deps-1', 'x', 'application/octet-stream')).status).toBe(
      403,
    );
    expect((await call('person', 'PUT', '/cache/deps-1', 'x', 'application/octet-stream')).status).toBe(201);
    expect((await call('logsReader', 'HEAD', '/cache/deps-1')).status).toBe(403);
    expect((await call('node', 'HEAD', '/cache/deps-1')).status).toBe(200);
  });

  it("artifacts: a node token reaches only its own run's", async () => {
    expect((await call('node', 'PUT', '/artifacts/run_scopes/a.txt', 'a', 'text/plain')).status).toBe(201);
    expect((await call('otherRunNode', 'GET', '/artifacts/run_scopes/a.txt')).status).toBe(403);
    expect((await call('otherRunNode', 'GET', '/artifacts/run_scopes')).status).toBe(403);
    expect((await call('person', 'PUT', '/artifacts/run_scopes/b.txt', 'b', 'text/plain')).status).toBe(403);
    expect((await call('node', 'GET', '/artifacts/run_scopes/a.txt')).status).toBe(200);
    expect((await call('runsReader', 'GET', '/artifacts/run_scopes')).status).toBe(200);
    expect(readFileSync(join(cache.dataDir, 'artifacts', 'run_scopes', 'a.txt'), 'utf8')).toBe('a');
  });
});
