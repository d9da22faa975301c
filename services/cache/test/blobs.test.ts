import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { CacheClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type CacheProcess,
  nodeToken,
  SIGNING_KEY,
  startCache,
  startFakeController,
  tempDir,
} from './helpers.js';
import { bundleDigest, signNodeToken } from '@sparkwing/contracts';

let cache: CacheProcess;
let client: CacheClient;
const token = nodeToken('run_blobs', 'build');

/** Raw request so paths reach the server exactly as written (fetch would normalise `..`). */
function rawRequest(method: string, path: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: cache.port, method, path, headers: { authorization: `Bearer ${token}` } },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

beforeAll(async () => {
  cache = await startCache({ SPARKWING_BLOB_MAX_BYTES: '100000', SPARKWING_FETCH_INTERVAL: '1h' });
  client = new CacheClient({ baseUrl: cache.url, token });
});

afterAll(async () => {
  await cache?.stop();
});

describe('blob stores', () => {
  it('puts, heads and gets bin and cache entries', async () => {
    const bytes = randomBytes(50_000);
    const key = bundleDigest(bytes);
    expect(await client.hasBin(key)).toBe(false);
    expect(await client.getBin(key)).toBeNull();
    await client.putBin(key, bytes);
    expect(await client.hasBin(key)).toBe(true);
    expect((await client.getBin(key))?.equals(bytes)).toBe(true);
    await client.putCache('node_modules-linux-x64.tgz', bytes.subarray(0, 10));
    expect(await client.getCache('node_modules-linux-x64.tgz')).toEqual(bytes.subarray(0, 10));
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(metrics).toMatch(/sparkwing_gitcache_cache_hits_total\{store="bin",service="cache"\} 2/);
    expect(metrics).toMatch(/sparkwing_gitcache_cache_misses_total\{store="bin",service="cache"\} 2/);
  });

  it('keeps compiled pipelines content-addressed: a body whose digest is not its key is refused', async () => {
    const legit = Buffer.from('export const pipeline = "A";\n');
    const key = bundleDigest(legit);
    await client.putBin(key, legit);
    const before = filesUnder(cache.dataDir);
    const hostile = Buffer.from('process.exit(66); // run B replacing A\n');
    await expect(client.putBin(key, hostile)).rejects.toMatchObject({ status: 400, code: 'bad_request' });
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(hostile);
        controller.close();
      },
    });
    await expect(client.putBin(key, streamed)).rejects.toMatchObject({ status: 400 });
    await expect(client.putBin('pipeline-abc123', legit)).rejects.toMatchObject({ status: 400 });
    expect((await client.getBin(key))?.equals(legit)).toBe(true);
    expect(filesUnder(cache.dataDir)).toEqual(before);
    await client.putBin(key, legit);
    expect((await client.getBin(key))?.equals(legit)).toBe(true);
  });

  it('stores artifacts per run and lists them', async () => {
    await client.putArtifact('run_blobs', 'reports/junit.xml', Buffer.from('<xml/>'));
    await client.putArtifact('run_blobs', 'coverage.txt', Buffer.from('99%'));
    expect((await client.getArtifact('run_blobs', 'reports/junit.xml'))?.toString()).toBe('<xml/>');
    const list = await client.listArtifacts('run_blobs');
    expect(list.artifacts.map((artifact) => [artifact.path, artifact.size])).toEqual([
      ['coverage.txt', 3],
      ['reports/junit.xml', 6],
    ]);
  });

  it('refuses bad keys and traversal with 400 and writes nothing', async () => {
    const before = filesUnder(cache.dataDir);
    const attempts = [
      '/bin/..',
      '/bin/..%2F..%2Fescape',
      '/bin/.hidden',
      '/bin/a%00b',
      `/bin/${'k'.repeat(300)}`,
      '/cache/..%2Fbin%2Fx',
      '/artifacts/run_blobs/../../bin/x',
      '/artifacts/run_blobs/a/../../x',
      '/artifacts/run_blobs/%2Fetc%2Fpasswd',
      '/artifacts/run_blobs/a%00b',
      '/artifacts/..%2Fx/file',
    ];
    for (const path of attempts) {
      const status = await rawRequest('PUT', path, Buffer.from('evil'));
      expect(status, path).toBe(400);
    }
    expect(filesUnder(cache.dataDir)).toEqual(before);
  });

  it('refuses oversized bodies with 413, declared or streamed, and writes nothing', async () => {
    const before = filesUnder(cache.dataDir);
    await expect(client.putBin(`sha256-${'0'.repeat(64)}`, randomBytes(150_000))).rejects.toMatchObject({
      status: 413,
    });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 20; i += 1) controller.enqueue(randomBytes(10_000));
        controller.close();
      },
    });
    await expect(client.putCache('too-big-streamed', stream)).rejects.toMatchObject({ status: 413 });
    expect(filesUnder(cache.dataDir)).toEqual(before);
  });

  it('answers 401 without or with a bad token and 403 for another run', async () => {
    const anonymous = new CacheClient({ baseUrl: cache.url });
    await expect(anonymous.getBin(`sha256-${'0'.repeat(64)}`)).rejects.toMatchObject({ status: 401 });
    const forged = new CacheClient({
      baseUrl: cache.url,
      token: signNodeToken('another-key-entirely-0000', {
        run_id: 'run_blobs',
        node_id: 'x',
        attempt: 1,
        exp: Date.now() + 60_000,
      }),
    });
    await expect(forged.putBin(bundleDigest(Buffer.from('x')), Buffer.from('x'))).rejects.toMatchObject({
      status: 401,
    });
    const expired = new CacheClient({
      baseUrl: cache.url,
      token: signNodeToken(SIGNING_KEY, {
        run_id: 'run_blobs',
        node_id: 'x',
        attempt: 1,
        exp: Date.now() - 1,
      }),
    });
    await expect(expired.getBin(`sha256-${'0'.repeat(64)}`)).rejects.toMatchObject({ status: 401 });
    await expect(client.putArtifact('run_other', 'x.txt', Buffer.from('x'))).rejects.toMatchObject({
      status: 403,
    });
    const proxyIsOpen = await fetch(`${cache.url}/health`);
    expect(proxyIsOpen.status).toBe(200);
  });
});

describe('eviction', () => {
  it('removes least recently used entries once the store exceeds its budget', async () => {
    const small = await startCache({ SPARKWING_CACHE_MAX_BYTES: '250000', SPARKWING_FETCH_INTERVAL: '1h' });
    const smallClient = new CacheClient({ baseUrl: small.url, token });
    try {
      const [a, b, c] = [randomBytes(100_000), randomBytes(100_000), randomBytes(100_000)];
      await smallClient.putBin(bundleDigest(a), a);
      await new Promise((done) => setTimeout(done, 20));
      await smallClient.putBin(bundleDigest(b), b);
      await new Promise((done) => setTimeout(done, 20));
      expect(await smallClient.getBin(bundleDigest(a))).not.toBeNull();
      await new Promise((done) => setTimeout(done, 50));
      await smallClient.putBin(bundleDigest(c), c);
      let remaining: string[] = [];
      for (let i = 0; i < 50; i += 1) {
        await new Promise((done) => setTimeout(done, 100));
        remaining = filesUnder(join(small.dataDir, 'bin'));
        if (remaining.length === 2) break;
      }
      expect(remaining).toEqual([bundleDigest(a), bundleDigest(c)].sort());
      const metrics = await (await fetch(`${small.url}/metrics`)).text();
      expect(metrics).toMatch(/sparkwing_cache_evictions_total\{store="bin",service="cache"\} 1/);
      expect(metrics).toMatch(/sparkwing_cache_bytes\{store="bin",service="cache"\} 200000/);
    } finally {
      await small.stop();
    }
  });

  it('keeps uploads that queued or running runs reference, whatever their age', async () => {
    const controller = await startFakeController();
    const small = await startCache({
      SPARKWING_CACHE_MAX_BYTES: '1000',
      SPARKWING_UPLOAD_PROTECT: '1ms',
      SPARKWING_CONTROLLER_URL: controller.url,
      SPARKWING_CACHE_TOKEN: ADMIN_TOKEN,
      SPARKWING_FETCH_INTERVAL: '1h',
    });
    const admin = new CacheClient({ baseUrl: small.url, token: ADMIN_TOKEN });
    const dir = tempDir('protect');
    try {
      writeFileSync(join(dir, 'kept.bin'), randomBytes(5_000));
      writeFileSync(join(dir, 'dropped.bin'), randomBytes(5_000));
      // Refs are content addresses: learn the one to protect from another cache before this one sees it
      // (uploading takes runs.write, which only the controller-backed caches can verify).
      const scratch = await startCache({
        SPARKWING_CONTROLLER_URL: controller.url,
        SPARKWING_FETCH_INTERVAL: '1h',
      });
      const expected = await new CacheClient({ baseUrl: scratch.url, token: ADMIN_TOKEN })
        .uploadTree({ cwd: dir, files: ['kept.bin'] })
        .finally(() => scratch.stop());
      controller.runningUploads = [expected.upload_ref];
      const kept = await admin.uploadTree({ cwd: dir, files: ['kept.bin'] });
      expect(kept.upload_ref).toBe(expected.upload_ref);
      const dropped = await admin.uploadTree({ cwd: dir, files: ['dropped.bin'] });
      const trigger = randomBytes(2_000);
      await admin.putBin(bundleDigest(trigger), trigger);
      let remaining: string[] = [];
      for (let i = 0; i < 50; i += 1) {
        await new Promise((done) => setTimeout(done, 100));
        remaining = filesUnder(join(small.dataDir, 'uploads'));
        if (remaining.length === 1) break;
      }
      expect(remaining).toEqual([`${kept.upload_ref}.tar.gz`]);
      await expect(admin.getUpload(dropped.upload_ref)).rejects.toMatchObject({ status: 404 });
    } finally {
      await small.stop();
      await controller.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
