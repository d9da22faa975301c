// Logs service benchmark: ingest rate (1 and 16 writers), append latency, append→SSE arrival latency on
// 100 concurrent streams, and a plain buffered fs append of the same bytes as the physical ceiling.
// Usage: pnpm --filter @sparkwing/logs build && node bench/logs.mjs [batches, default 200]
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signNodeToken } from '../packages/contracts/dist/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'bench-signing-key-0123456789';
const RECORDS_PER_BATCH = 100;
const MSG = 'x'.repeat(80);
const BATCHES = Number(process.argv[2] ?? 200);
const STREAMS = 100;
const STREAM_RECORDS = 200;

const token = (run, node) =>
  signNodeToken(KEY, { run_id: run, node_id: node, attempt: 1, exp: Date.now() + 3_600_000 });

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const fmt = (n, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

function batchBody(prefix) {
  let body = '';
  for (let i = 0; i < RECORDS_PER_BATCH; i++) body += `${JSON.stringify({ msg: `${prefix} ${i} ${MSG}` })}\n`;
  return body;
}

async function startAndWait(dataDir) {
  const child = spawn(process.execPath, [join(ROOT, 'services/logs/dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      SPARKWING_DATA_DIR: dataDir,
      SPARKWING_SIGNING_KEY: KEY,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      const m = /"msg":"listening","port":(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`service exited ${code}`)));
  });
  // Request log lines go to a pipe nobody reads after startup; drain it so the service never blocks on stdout.
  child.stdout.resume();
  return { child, url: `http://127.0.0.1:${port}` };
}

async function append(url, run, node, tok, body) {
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/logs/${run}/${node}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (response.status !== 200) throw new Error(`append failed: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

async function ingest(url, writers, sameNode) {
  const bodies = Array.from({ length: writers }, (_, w) => batchBody(`w${w}`));
  const latencies = [];
  const perWriter = Math.ceil(BATCHES / writers);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const run = `run_ingest_${writers}_${sameNode ? 'same' : 'many'}`;
      const node = sameNode ? 'n' : `n${w}`;
      const tok = token(run, node);
      for (let b = 0; b < perWriter; b++) latencies.push(await append(url, run, node, tok, bodies[w]));
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  const records = perWriter * writers * RECORDS_PER_BATCH;
  const bytes = perWriter * writers * Buffer.byteLength(bodies[0]);
  return {
    records,
    bytes,
    seconds,
    rate: records / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function fsCeiling(dir, records) {
  // The same NDJSON bytes the service stores, through a buffered write stream, no fsync.
  const line = `${JSON.stringify({ seq: 1, ts: new Date().toISOString(), stream: 'stdout', msg: `w0 1 ${MSG}` })}\n`;
  const stream = createWriteStream(join(dir, 'ceiling.log'), { flags: 'a' });
  const started = performance.now();
  for (let i = 0; i < records; i++) {
    if (!stream.write(line)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  await new Promise((resolve) => stream.end(resolve));
  const seconds = (performance.now() - started) / 1_000;
  return { rate: records / seconds, mbps: (records * line.length) / seconds / 1e6 };
}

async function fsDurableCeiling(dir, batches) {
  // For context: the same bytes written per 100-record batch with one fdatasync each (what a 200 costs).
  const { open } = await import('node:fs/promises');
  const handle = await open(join(dir, 'durable.log'), 'a');
  const line = `${JSON.stringify({ seq: 1, ts: new Date().toISOString(), stream: 'stdout', msg: `w0 1 ${MSG}` })}\n`;
  const batch = Buffer.from(line.repeat(RECORDS_PER_BATCH));
  const started = performance.now();
  for (let i = 0; i < batches; i++) {
    await handle.write(batch);
    await handle.datasync();
  }
  await handle.close();
  return { rate: (batches * RECORDS_PER_BATCH) / ((performance.now() - started) / 1_000) };
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function sseLatency(url, pid) {
  const run = 'run_sse';
  const node = 'n';
  const tok = token(run, node);
  const arrivals = [];
  const sentAt = new Map();
  let ready = 0;
  const streams = Array.from({ length: STREAMS }, async () => {
    const response = await fetch(`${url}/api/v1/logs/${run}/${node}/stream`, {
      headers: { authorization: `Bearer ${tok}` },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    ready += 1;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const now = performance.now();
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith('event: end')) {
          await reader.cancel();
          return;
        }
        const idLine = block.split('\n').find((l) => l.startsWith('id: '));
        if (idLine) {
          const seq = Number(idLine.slice(4));
          if (sentAt.has(seq)) arrivals.push(now - sentAt.get(seq));
        }
        end = buffer.indexOf('\n\n');
      }
    }
  });
  while (ready < STREAMS) await new Promise((resolve) => setTimeout(resolve, 10));
  const rssBefore = rssOf(pid);
  for (let i = 1; i <= STREAM_RECORDS; i++) {
    const final = i === STREAM_RECORDS;
    const body = `${JSON.stringify({ msg: `tick ${i}`, ...(final ? { stream: 'system', final: true } : {}) })}\n`;
    sentAt.set(i, performance.now());
    await append(url, run, node, tok, body);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const rssDuring = rssOf(pid);
  await Promise.all(streams);
  return {
    rssBefore,
    rssDuring,
    samples: arrivals.length,
    p50: percentile(arrivals, 50),
    p99: percentile(arrivals, 99),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'sparkwing-logs-bench-'));
const { child, url } = await startAndWait(join(dir, 'data'));
try {
  const one = await ingest(url, 1, false);
  const sixteen = await ingest(url, 16, false);
  const sixteenSame = await ingest(url, 16, true);
  const ceiling = await fsCeiling(dir, one.records);
  const durable = await fsDurableCeiling(dir, BATCHES);
  const rssIdle = rssOf(child.pid);
  const sse = await sseLatency(url, child.pid);
  console.log(
    `logs bench (${RECORDS_PER_BATCH} records/batch, ${MSG.length + 10}-byte messages, fsync per group commit)`,
  );
  for (const [label, r] of [
    ['1 writer', one],
    ['16 writers, 16 nodes', sixteen],
    ['16 writers, same node', sixteenSame],
  ]) {
    console.log(
      `  ingest ${label.padEnd(22)} ${fmt(r.rate, 0).padStart(9)} records/s  append p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  (${fmt(r.bytes / r.seconds / 1e6, 1)} MB/s)`,
    );
  }
  console.log(
    `  plain buffered fs append (ceiling) ${fmt(ceiling.rate, 0)} records/s (${fmt(ceiling.mbps, 1)} MB/s)`,
  );
  console.log(
    `  fs append + fdatasync per batch, 1 writer (durable reference) ${fmt(durable.rate, 0)} records/s`,
  );
  console.log(
    `  ratio to ceiling: 1 writer ${fmt((one.rate / ceiling.rate) * 100, 1)}%, 16 writers ${fmt((sixteen.rate / ceiling.rate) * 100, 1)}%, 16 same node ${fmt((sixteenSame.rate / ceiling.rate) * 100, 1)}%`,
  );
  console.log(
    `  append→arrival on ${STREAMS} SSE streams: p50 ${fmt(sse.p50, 2)} ms  p99 ${fmt(sse.p99, 2)} ms  (${sse.samples} samples)`,
  );
  const mb = (bytes) => fmt(bytes / 1024 / 1024, 1);
  console.log(
    `  service RSS: ${mb(rssIdle)} MiB after ingest, ${mb(sse.rssBefore)} MiB with ${STREAMS} streams open, ${mb(sse.rssDuring)} MiB after streaming ${STREAM_RECORDS} records to them`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await rm(dir, { recursive: true, force: true });
}
