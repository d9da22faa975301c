import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientError, ControllerClient } from '@sparkwing/client';
import { signNodeToken } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Proc, repoPath, startProc } from '../suite/lib/procs.js';
import { prng } from './lib/fuzz-gen.js';

/**
 * Chaos: the controller, logs and cache are killed with SIGKILL at random moments while clients keep
 * writing to all three. Acknowledged writes must all be there afterwards, no node is claimed twice for
 * one attempt, and every run ends. SPARKWING_CHAOS_CYCLES widens it (50 in CI).
 */
const CYCLES = Number(process.env.SPARKWING_CHAOS_CYCLES ?? 50);
const SEED = Number(process.env.SPARKWING_CHAOS_SEED ?? 7);
const SERVICES = ['controller', 'logs', 'cache'] as const;
type Service = (typeof SERVICES)[number];

const dir = mkdtempSync(join(tmpdir(), 'sparkwing-chaos-'));
const admin = `swa_${randomBytes(24).toString('hex')}`;
const signingKey = randomBytes(32).toString('hex');
const ports = {} as Record<Service, number>;
const urls = {} as Record<Service, string>;
const procs = {} as Record<Service, Proc>;
const listening = (port: number) => (record: Record<string, unknown>) =>
  record.msg === 'listening' && Number(record.port) === port;

function envOf(service: Service): Record<string, string> {
  const base = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PORT: String(ports[service]),
    SPARKWING_SIGNING_KEY: signingKey,
  };
  if (service === 'controller')
    return {
      ...base,
      LOG_LEVEL: 'info',
      SPARKWING_DATA_DIR: join(dir, 'controller'),
      SPARKWING_ADMIN_TOKEN: admin,
      SPARKWING_SECRET_KEY: 'chaos-secret-key-0123456789abcdef',
      SPARKWING_LEASE_DURATION: '3s',
      SPARKWING_RUNNER_STARTUP_GRACE: '1s',
      SPARKWING_RUNNER_HEARTBEAT_TIMEOUT: '2s',
      SPARKWING_SWEEP_INTERVAL: '200ms',
    };
  return {
    ...base,
    LOG_LEVEL: 'info',
    SPARKWING_DATA_DIR: join(dir, service),
    SPARKWING_CONTROLLER_URL: urls.controller,
  };
}

async function start(service: Service): Promise<void> {
  procs[service] = await startProc(
    service,
    [repoPath(`services/${service}/dist/main.js`)],
    envOf(service),
    listening(ports[service]),
  );
}

beforeAll(async () => {
  for (const service of SERVICES) {
    ports[service] = await freePort();
    urls[service] = `http://127.0.0.1:${ports[service]}`;
  }
  for (const service of SERVICES) await start(service);
}, 120_000);

afterAll(async () => {
  await Promise.all(Object.values(procs).map((proc) => proc.stop(5_000)));
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Connection refused/reset while a service restarts: the write was not acknowledged, try again later. */
const transient = (error: unknown) =>
  (error instanceof ClientError && (error.status === 0 || error.status >= 500)) || error instanceof TypeError;

describe('chaos', () => {
  it(`${CYCLES} SIGKILLs of controller, logs and cache under load lose no acknowledged write`, async () => {
    const rng = prng(SEED);
    const controller = new ControllerClient({ baseUrl: urls.controller, token: admin });
    let running = true;
    const triggered: string[] = [];
    const claims = new Map<string, number>();
    const logsAcked = new Map<string, number>();
    const blobsAcked = new Map<string, string>();

    const triggerer = (async () => {
      for (let i = 0; running; i++) {
        try {
          triggered.push(
            (await controller.trigger({ pipeline: 'chaos', idempotency_key: `chaos-${i}` })).run_id,
          );
        } catch (error) {
          if (!transient(error)) throw error;
          i -= 1;
        }
        await sleep(150);
      }
    })();

    /** Claims and completes nodes; a lifecycle cut by a kill is left to the lease sweep. */
    let draining = true;
    const claimer = async (id: number) => {
      const client = new ControllerClient({ baseUrl: urls.controller, token: admin });
      while (draining) {
        let got: Awaited<ReturnType<ControllerClient['claim']>>;
        try {
          got = await client.claim({ runner_id: `chaos-${id}`, wait_ms: 300 });
        } catch (error) {
          if (!transient(error)) throw error;
          await sleep(100);
          continue;
        }
        if (!got) continue;
        const key = `${got.run.id}/${got.node.id}#${got.node.attempt}`;
        claims.set(key, (claims.get(key) ?? 0) + 1);
        try {
          if (got.node.id === '_plan')
            await client.plan(
              got.run.id,
              { nodes: [{ id: 'a' }, { id: 'b', needs: ['a'] }] },
              got.lease.token,
            );
          await client.finishNode(got.run.id, got.node.id, got.lease.token, { outcome: 'success' });
        } catch (error) {
          if (!transient(error) && !(error instanceof ClientError && error.status === 409)) throw error;
        }
      }
    };

    const logger = (async () => {
      const token = signNodeToken(signingKey, {
        run_id: 'run_chaos',
        node_id: 'n',
        attempt: 1,
        exp: Date.now() + 3_600_000,
      });
      for (let batch = 0; running; batch++) {
        const body = Array.from(
          { length: 10 },
          (_, i) => `${JSON.stringify({ msg: `b${batch} r${i}` })}\n`,
        ).join('');
        try {
          const response = await fetch(`${urls.logs}/api/v1/logs/run_chaos/n`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
            body,
          });
          if (response.status === 200) logsAcked.set('run_chaos/n', (logsAcked.get('run_chaos/n') ?? 0) + 10);
          else await response.body?.cancel();
        } catch {
          await sleep(50);
        }
      }
    })();

    const blobber = (async () => {
      for (let i = 0; running; i++) {
        const content = randomBytes(2_048);
        try {
          const response = await fetch(`${urls.cache}/cache/chaos-${i}`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' },
            body: content,
          });
          if (response.status === 201)
            blobsAcked.set(`chaos-${i}`, createHash('sha256').update(content).digest('hex'));
          else await response.body?.cancel();
        } catch {
          await sleep(50);
        }
      }
    })();

    const claimers = Array.from({ length: 4 }, (_, i) => claimer(i));
    const kills: Record<Service, number> = { controller: 0, logs: 0, cache: 0 };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await sleep(20 + rng.int(200));
      const service = rng.pick(SERVICES);
      procs[service].kill('SIGKILL');
      await procs[service].exit;
      kills[service] += 1;
      await start(service);
    }
    running = false;
    await Promise.all([triggerer, logger, blobber]);

    // Drain: every acknowledged run must end (nodes cut by a kill come back through the lease sweep).
    const deadline = Date.now() + 60_000;
    const acknowledgedRuns = [...triggered];
    const pending = new Set(acknowledgedRuns);
    while (pending.size > 0 && Date.now() < deadline) {
      for (const id of [...pending]) {
        const { run } = await controller.getRun(id);
        if (['success', 'failed', 'cancelled'].includes(run.status)) pending.delete(id);
      }
      if (pending.size > 0) await sleep(250);
    }
    draining = false;
    await Promise.all(claimers);

    let runsLost = 0;
    for (const id of acknowledgedRuns) {
      try {
        await controller.getRun(id);
      } catch {
        runsLost += 1;
      }
    }
    let logsRead = 0;
    let lastSeq = 0;
    for (;;) {
      const page = await fetch(`${urls.logs}/api/v1/logs/run_chaos/n?after_seq=${lastSeq}&limit=10000`, {
        headers: { authorization: `Bearer ${admin}`, accept: 'application/x-ndjson' },
      });
      const records = (await page.text())
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { seq: number });
      // Dense sequence numbers: a kill never leaves a hole or a torn record behind.
      expect(records.every((record, i) => record.seq === lastSeq + i + 1)).toBe(true);
      logsRead += records.length;
      if (records.length < 10_000) break;
      lastSeq = records[records.length - 1]!.seq;
    }
    let blobsLost = 0;
    for (const [key, digest] of blobsAcked) {
      const response = await fetch(`${urls.cache}/cache/${key}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200 || createHash('sha256').update(body).digest('hex') !== digest)
        blobsLost += 1;
    }
    const duplicateClaims = [...claims.values()].filter((n) => n > 1).length;
    console.log(
      `[chaos] ${CYCLES} kill -9 cycles (controller ${kills.controller}, logs ${kills.logs}, cache ${kills.cache}); ` +
        `acknowledged writes checked: runs ${acknowledgedRuns.length}, log records ${logsAcked.get('run_chaos/n') ?? 0} ` +
        `(${logsRead} read back), blobs ${blobsAcked.size}; lost: runs ${runsLost}, log records ` +
        `${Math.max(0, (logsAcked.get('run_chaos/n') ?? 0) - logsRead)}, blobs ${blobsLost}; ` +
        `claims ${claims.size}, duplicate claims ${duplicateClaims}; runs not terminal ${pending.size}`,
    );
    expect(duplicateClaims).toBe(0);
    expect(runsLost).toBe(0);
    expect([...pending]).toEqual([]);
    expect(logsRead).toBeGreaterThanOrEqual(logsAcked.get('run_chaos/n') ?? 0);
    expect(blobsLost).toBe(0);
  }, 600_000);
});
