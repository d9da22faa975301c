// Cache benchmark: clone of a ~50 MB repository through the cache vs straight from the bare repo on disk,
// package proxy hit latency, blob PUT/GET throughput. Needs `pnpm --filter @sparkwing/cache build` first.
// Usage: node bench/cache.mjs [--repo-mb 50] [--proxy-requests 2000] [--blob-mb 64]
import { execFileSync, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = resolve(here, '../services/cache/dist/main.js');
const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2)
  args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const REPO_MB = Number(args['repo-mb'] ?? 50);
const PROXY_REQUESTS = Number(args['proxy-requests'] ?? 2000);
const BLOB_MB = Number(args['blob-mb'] ?? 64);
const SIGNING_KEY = 'bench-signing-key-0123456789';
const ADMIN = 'bench-admin-token';

const root = mkdtempSync(join(tmpdir(), 'sw-cache-bench-'));
const env = {
  PATH: process.env.PATH,
  HOME: root,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@x',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@x',
};
const git = (cwd, ...a) =>
  execFileSync('git', a, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

function nodeToken() {
  const payload = Buffer.from(
    JSON.stringify({ v: 1, run_id: 'run_bench', node_id: 'bench', attempt: 1, exp: Date.now() + 3_600_000 }),
  ).toString('base64url');
  return `swn.${payload}.${createHmac('sha256', SIGNING_KEY).update(payload).digest('base64url')}`;
}

function listen(server) {
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));
}

async function main() {
  // 1. A repository of random (incompressible) files over a few commits.
  const work = join(root, 'work');
  const bare = join(root, 'origin.git');
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  const commits = 5;
  const perCommit = Math.ceil(REPO_MB / commits);
  for (let c = 0; c < commits; c += 1) {
    mkdirSync(join(work, `dir${c}`), { recursive: true });
    for (let f = 0; f < perCommit; f += 1)
      writeFileSync(join(work, `dir${c}`, `file${f}.bin`), randomBytes(1024 * 1024));
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', `commit ${c}`);
  }
  // A server-side bare repository is packed; a plain local `clone --bare` would hardlink loose objects.
  execFileSync('git', ['clone', '-q', '--bare', '--no-local', work, bare], { env });
  git(bare, 'repack', '-a', '-d', '-q');
  const packMb = Number(execFileSync('du', ['-sm', bare]).toString().split('\t')[0]);

  // 2. A fake controller (introspection) and a fake npm upstream.
  const controller = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization === `Bearer ${ADMIN}`) {
      res.end(
        JSON.stringify({
          active: true,
          principal: { kind: 'user', name: 'bench', token_prefix: null, run_id: null, node_id: null },
          scopes: ['admin'],
          expires_at: null,
        }),
      );
    } else {
      res.statusCode = 401;
      res.end('{"error":{"code":"unauthorized","message":"no","request_id":"x"}}');
    }
  });
  const tarball = randomBytes(256 * 1024);
  let upstreamPort = 0;
  const upstream = http.createServer((req, res) => {
    if (req.url === '/pkg') {
      res.setHeader('content-type', 'application/json');
      const versions = {};
      for (let v = 0; v < 50; v += 1)
        versions[`1.0.${v}`] = {
          name: 'pkg',
          version: `1.0.${v}`,
          dist: {
            tarball: `http://127.0.0.1:${upstreamPort}/pkg/-/pkg-1.0.${v}.tgz`,
            shasum: createHash('sha1').update(String(v)).digest('hex'),
          },
        };
      res.end(JSON.stringify({ name: 'pkg', versions }));
    } else if (req.url?.startsWith('/pkg/-/')) {
      res.end(tarball);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  const controllerPort = await listen(controller);
  upstreamPort = await listen(upstream);

  // 3. The cache, as a real process.
  const dataDir = join(root, 'data');
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: root,
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKWING_DATA_DIR: dataDir,
      SPARKWING_SIGNING_KEY: SIGNING_KEY,
      SPARKWING_CONTROLLER_URL: `http://127.0.0.1:${controllerPort}`,
      SPARKWING_PROXY_UPSTREAM_NPM: `http://127.0.0.1:${upstreamPort}`,
      SPARKWING_FETCH_INTERVAL: '1h',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((done, fail) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      if (out.length > 100_000) return;
      out += chunk;
      const match = /"msg":"listening","port":(\d+)/.exec(out);
      if (match) done(Number(match[1]));
    });
    child.on('exit', (code) => fail(new Error(`cache exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const registered = await fetch(`${base}/git/repos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', url: bare }),
    });
    if (registered.status !== 201)
      throw new Error(`register failed: ${registered.status} ${await registered.text()}`);

    // Clone timings (3 runs each, median).
    const runs = 3;
    const timeClone = (argsFor) => {
      const times = [];
      for (let i = 0; i < runs; i += 1) {
        const dest = join(root, `clone-${Math.random().toString(36).slice(2)}`);
        const start = process.hrtime.bigint();
        execFileSync('git', argsFor(dest), { env, stdio: 'ignore' });
        times.push(ms(start));
        rmSync(dest, { recursive: true, force: true });
      }
      return median(times);
    };
    const viaCache = timeClone((dest) => [
      '-c',
      `http.extraHeader=Authorization: Bearer ${nodeToken()}`,
      'clone',
      '-q',
      `${base}/git/bench`,
      dest,
    ]);
    const localPlain = timeClone((dest) => ['clone', '-q', bare, dest]);
    const localNoHardlinks = timeClone((dest) => ['clone', '-q', '--no-local', bare, dest]);

    // Proxy hits.
    for (const path of ['/proxy/npm/pkg', '/proxy/npm/pkg/-/pkg-1.0.0.tgz'])
      await (await fetch(`${base}${path}`)).arrayBuffer();
    const proxyLatency = async (path) => {
      const times = [];
      for (let i = 0; i < PROXY_REQUESTS; i += 1) {
        const start = process.hrtime.bigint();
        const response = await fetch(`${base}${path}`);
        await response.arrayBuffer();
        if (response.headers.get('x-cache') !== 'HIT') throw new Error(`expected HIT for ${path}`);
        times.push(ms(start));
      }
      return { p50: percentile(times, 50), p99: percentile(times, 99) };
    };
    const tgz = await proxyLatency('/proxy/npm/pkg/-/pkg-1.0.0.tgz');
    const packument = await proxyLatency('/proxy/npm/pkg');

    // Blob throughput.
    const blob = randomBytes(BLOB_MB * 1024 * 1024);
    const auth = { authorization: `Bearer ${nodeToken()}` };
    const puts = [];
    const gets = [];
    for (let i = 0; i < 3; i += 1) {
      let start = process.hrtime.bigint();
      const put = await fetch(`${base}/bin/bench-${i}`, { method: 'PUT', headers: auth, body: blob });
      if (put.status !== 201) throw new Error(`PUT ${put.status}`);
      puts.push(BLOB_MB / (ms(start) / 1000));
      start = process.hrtime.bigint();
      const got = Buffer.from(await (await fetch(`${base}/bin/bench-${i}`, { headers: auth })).arrayBuffer());
      gets.push(BLOB_MB / (ms(start) / 1000));
      if (got.length !== blob.length) throw new Error('short GET');
    }

    const f = (value) => value.toFixed(1);
    console.log(
      `repository: ${REPO_MB} MB of random files in ${commits} commits (bare repo ${packMb} MB on disk)`,
    );
    console.log(`clone via cache (smart HTTP, protocol v2): ${f(viaCache)} ms (median of ${runs})`);
    console.log(
      `clone from bare repo on disk (git clone <path>, hardlinks): ${f(localPlain)} ms  ratio cache/local = ${(viaCache / localPlain).toFixed(2)}`,
    );
    console.log(
      `clone from bare repo on disk (--no-local, pack transfer): ${f(localNoHardlinks)} ms  ratio cache/no-local = ${(viaCache / localNoHardlinks).toFixed(2)}`,
    );
    console.log(
      `proxy hit, 256 KiB npm tarball: p50 ${f(tgz.p50)} ms  p99 ${f(tgz.p99)} ms  (${PROXY_REQUESTS} sequential requests)`,
    );
    console.log(
      `proxy hit, npm packument (50 versions, rewritten): p50 ${f(packument.p50)} ms  p99 ${f(packument.p99)} ms`,
    );
    console.log(
      `blob PUT ${BLOB_MB} MB: ${f(median(puts))} MB/s   blob GET: ${f(median(gets))} MB/s (median of 3)`,
    );
  } finally {
    child.kill('SIGTERM');
    controller.close();
    upstream.close();
    await new Promise((done) => child.on('exit', done));
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
