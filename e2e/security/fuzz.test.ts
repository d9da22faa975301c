import { createHmac } from 'node:crypto';
import { signNodeToken } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../suite/lib/stack.js';
import { ACCESS_TABLE, type RouteEntry } from './lib/access-table.js';
import { BAD_IDS, deepJson, MALFORMED_BODIES, prng, type Rng, randomJson } from './lib/fuzz-gen.js';
import { agent, type RawAnswer, type RawRequest, rawRequest } from './lib/raw-http.js';
import { MiB, memoryOf } from './lib/rss.js';
import { serviceRouteTables, type ServiceName } from './lib/routes.js';
import { stateDigest } from './lib/state-digest.js';

// Fixed seed and size; SPARKWING_FUZZ_SEED / SPARKWING_FUZZ_REQUESTS replay or widen a run.
const SEED = Number(process.env.SPARKWING_FUZZ_SEED ?? 20_261_208);
const REQUESTS = Number(process.env.SPARKWING_FUZZ_REQUESTS ?? 10_000);
const BATCH = 50;
const WORKERS = 8;
const ALLOWED_RSS_GROWTH = 200 * MiB;

/** Routes whose accepted requests change what `stateDigest` covers (runs, tokens, secrets, mirrors, stores). */
const WRITES_STATE = new Set([
  'controller POST /api/v1/triggers',
  'controller DELETE /api/v1/runs/:id',
  'controller POST /api/v1/runs/:id/cancel',
  'controller POST /api/v1/runs/:id/retry',
  'controller POST /api/v1/runs/:id/plan',
  'controller POST /api/v1/nodes/claim',
  'controller POST /api/v1/runs/:id/nodes/:nodeID/start',
  'controller POST /api/v1/runs/:id/nodes/:nodeID/finish',
  'controller POST /api/v1/tokens',
  'controller DELETE /api/v1/tokens/:prefix',
  'controller POST /api/v1/secrets',
  'controller DELETE /api/v1/secrets/:name',
  'controller POST /webhooks/github/:pipeline',
  'logs POST /api/v1/logs/:runId/:nodeId',
  'logs DELETE /api/v1/logs/:runId',
  'cache POST /git/repos',
  'cache POST /git/repos/:name/refresh',
  'cache POST /upload',
  'cache PUT /bin/:key',
  'cache PUT /cache/:key',
  'cache PUT /artifacts/:runID/*',
  'cache GET /archive',
  'web POST /api/v1/runs/:id/cancel',
  'web POST /api/v1/runs/:id/retry',
]);

interface Target {
  service: ServiceName;
  method: string;
  template: string;
  entry: RouteEntry;
}

let stack: Stack;
let targets: Target[];
const creds: Record<string, string> = {};
let session = { cookie: '', csrf: '' };

beforeAll(async () => {
  const tables = await serviceRouteTables();
  // Routes come from the services' own tables: a new route is fuzzed without anyone listing it here.
  targets = (Object.keys(tables) as ServiceName[]).flatMap((service) =>
    tables[service].map((key) => {
      const [method, template] = key.split(' ') as [string, string];
      return {
        service,
        method,
        template,
        entry: ACCESS_TABLE[service][key] ?? { access: { kind: 'public' } },
      };
    }),
  );
  stack = await startStack({ runners: {}, controllerEnv: { SPARKWING_LEASE_DURATION: '30m' } });
  creds.admin = stack.adminToken;
  const run = (await stack.controller.trigger({ pipeline: 'fuzz' })).run_id;
  creds.run = run;
  creds.lease = (await stack.controller.claim({ runner_id: 'fuzzer', run_id: run }))!.lease.token;
  creds.otherNode = signNodeToken(stack.signingKey, {
    run_id: 'run_other',
    node_id: 'n',
    attempt: 1,
    exp: Date.now() + 3_600_000,
  });
  const signIn = await fetch(`${stack.urls.web}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: stack.adminToken }),
  });
  session = {
    cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0]!,
    csrf: ((await signIn.json()) as { csrf_token: string }).csrf_token,
  };
}, 180_000);

afterAll(async () => {
  agent.destroy();
  await stack?.stop();
});

/** Path parameters: hostile ids most of the time, plausible unknown ones otherwise (never a real run). */
function fillPath(rng: Rng, template: string): string {
  const id = () => (rng.chance(0.6) ? rng.pick(BAD_IDS) : `fuzz_${rng.int(1_000)}`);
  let path = template.replace(/:[A-Za-z]+/g, id);
  path = path.replace(/\*$/, () => (rng.chance(0.5) ? rng.pick(BAD_IDS) : 'a/b.txt'));
  if (path === '*') path = `/${id()}`;
  return path;
}

function credentials(rng: Rng, target: Target, body: Buffer | undefined): Record<string, string> {
  const strong = rng.chance(0.7);
  const { access } = target.entry;
  if (access.kind === 'session' || (target.service === 'web' && strong))
    return strong
      ? { cookie: session.cookie, 'x-csrf-token': session.csrf }
      : rng.pick<Record<string, string>>([{}, { cookie: 'sparkwing_session=x' }]);
  if (access.kind === 'hmac')
    return strong
      ? {
          'x-github-event': rng.pick(['ping', 'push', 'pull_request', 'issues']),
          'x-github-delivery': `d-${rng.int(1e6)}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', stack.webhookSecret)
            .update(body ?? Buffer.alloc(0))
            .digest('hex')}`,
        }
      : { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' };
  const token = strong
    ? access.kind === 'node'
      ? creds.lease!
      : creds.admin!
    : rng.pick(['', 'swt_nope', creds.otherNode!, creds.lease!, 'swn.bad.token', 'Basic Zm9vOmJhcg==']);
  if (token === '') return {};
  return { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` };
}

type Mutation =
  | 'json'
  | 'malformed'
  | 'content-type'
  | 'deep'
  | 'chunked'
  | 'oversized'
  | 'oversized-chunked'
  | 'long-url'
  | 'long-header'
  | 'method'
  | 'query';
const MUTATIONS: Array<[Mutation, number]> = [
  ['json', 30],
  ['malformed', 14],
  ['content-type', 8],
  ['deep', 3],
  ['chunked', 9],
  ['oversized', 0.4],
  ['oversized-chunked', 0.4],
  ['long-url', 3],
  ['long-header', 2],
  ['method', 8],
  ['query', 6],
];
const TOTAL_WEIGHT = MUTATIONS.reduce((sum, [, w]) => sum + w, 0);

function mutationOf(rng: Rng): Mutation {
  let roll = rng.next() * TOTAL_WEIGHT;
  for (const [mutation, weight] of MUTATIONS) {
    roll -= weight;
    if (roll <= 0) return mutation;
  }
  return 'json';
}

function build(rng: Rng): { target: Target; mutation: Mutation; request: RawRequest } {
  const target = rng.pick(targets);
  const mutation = mutationOf(rng);
  let method = target.method;
  let path = fillPath(rng, target.template);
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  const jsonText = JSON.stringify(randomJson(rng)) ?? 'null';
  switch (mutation) {
    case 'json':
      body = Buffer.from(jsonText);
      headers['content-type'] = 'application/json';
      break;
    case 'malformed':
      body = Buffer.from(rng.pick(MALFORMED_BODIES));
      headers['content-type'] = 'application/json';
      break;
    case 'content-type':
      body = Buffer.from(jsonText);
      headers['content-type'] = rng.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      ]);
      break;
    case 'deep':
      body = Buffer.from(deepJson(5_000));
      headers['content-type'] = 'application/json';
      break;
    case 'chunked': {
      const text = Buffer.from(jsonText);
      chunks = [text.subarray(0, text.length >> 1), text.subarray(text.length >> 1)];
      headers['content-type'] = 'application/json';
      break;
    }
    case 'oversized':
      body = Buffer.alloc(5 * MiB, 0x7b);
      headers['content-type'] = 'application/json';
      break;
    case 'oversized-chunked':
      chunks = Array.from({ length: 20 }, () => Buffer.alloc(256 * 1024, 0x20));
      headers['content-type'] = 'application/json';
      break;
    case 'long-url':
      path = rng.chance(0.5) ? `${path}/${'a'.repeat(9_000)}` : `${path}?q=${'b'.repeat(12_000)}`;
      break;
    case 'long-header':
      headers['x-padding'] = 'p'.repeat(20_000);
      break;
    case 'method':
      method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      break;
    case 'query':
      path = `${path}${path.includes('?') ? '&' : '?'}limit=${rng.pick(['-5', '1e9', 'x', '%00'])}&cursor=${rng.pick(['%00', '..', 'zzz'])}&bogus=1`;
      break;
  }
  if (method === 'GET' || method === 'HEAD') {
    body = undefined;
    chunks = undefined;
  }
  return {
    target,
    mutation,
    request: { method, path, headers: { ...credentials(rng, target, body), ...headers }, body, chunks },
  };
}

function envelopeOk(answer: RawAnswer): boolean {
  try {
    const error = (JSON.parse(answer.text) as { error?: Record<string, unknown> }).error;
    return (
      typeof error?.code === 'string' &&
      typeof error.message === 'string' &&
      typeof error.request_id === 'string'
    );
  } catch {
    return false;
  }
}

describe('fuzz', () => {
  it(`${REQUESTS} seeded requests across every route: no 5xx, every error enveloped, refused requests change nothing, RSS bounded`, async () => {
    const rng = prng(SEED);
    const pids = Object.fromEntries(
      (['controller', 'logs', 'cache', 'web'] as const).map((s) => [s, stack.procs[s]!.pid]),
    );
    const before = Object.fromEntries(Object.entries(pids).map(([s, pid]) => [s, memoryOf(pid)]));
    const statuses = new Map<string, number>();
    const failures: string[] = [];
    let sent = 0;
    let notSendable = 0;
    let resets = 0;
    let accepted = 0;
    let digestChecks = 0;
    let digest = await stateDigest(stack);
    while (sent + notSendable < REQUESTS) {
      const batch = Array.from({ length: Math.min(BATCH, REQUESTS - sent - notSendable) }, () => build(rng));
      let mutated = false;
      let next = 0;
      await Promise.all(
        Array.from({ length: WORKERS }, async () => {
          while (next < batch.length) {
            const { target, mutation, request } = batch[next++]!;
            const answer = await rawRequest(stack.urls[target.service], request);
            const where = `${target.service} ${request.method} ${request.path.slice(0, 120)} [${mutation}]`;
            if (answer.status === -1) {
              notSendable += 1;
              continue;
            }
            sent += 1;
            if (answer.status === null) {
              resets += 1;
              if (!mutation.startsWith('oversized'))
                failures.push(`${where}: connection closed without an answer`);
              continue;
            }
            const klass = `${Math.floor(answer.status / 100)}xx`;
            statuses.set(klass, (statuses.get(klass) ?? 0) + 1);
            if (answer.status >= 500)
              failures.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`);
            else if (
              answer.status >= 400 &&
              request.method !== 'HEAD' &&
              !String(answer.headers['content-type'] ?? '').startsWith('text/html') &&
              !envelopeOk(answer)
            )
              failures.push(
                `${where}: ${answer.status} without the error envelope: ${answer.text.slice(0, 120)}`,
              );
            if (
              answer.status < 400 &&
              request.method !== 'GET' &&
              request.method !== 'HEAD' &&
              request.method !== 'OPTIONS'
            ) {
              accepted += 1;
              // Only writes to what the digest covers make a batch's digest comparison moot.
              if (WRITES_STATE.has(`${target.service} ${request.method} ${target.template}`)) mutated = true;
            }
          }
        }),
      );
      const after = await stateDigest(stack);
      if (!mutated) {
        digestChecks += 1;
        if (after !== digest)
          failures.push(`state changed in a batch of ${batch.length} refused requests (before ${sent})`);
      }
      digest = after;
    }
    const growth = Object.fromEntries(
      Object.entries(pids).map(([s, pid]) => [s, memoryOf(pid).peak - before[s]!.peak]),
    );
    console.log(
      `[fuzz] seed ${SEED}: ${sent} requests sent (${notSendable} refused by the client library), ` +
        `${[...statuses].map(([k, v]) => `${k} ${v}`).join(', ')}, 5xx ${statuses.get('5xx') ?? 0}, ` +
        `resets on oversized bodies ${resets}, accepted writes ${accepted}, state digests compared ${digestChecks}; ` +
        `peak RSS growth ${Object.entries(growth)
          .map(([s, g]) => `${s} ${(g / MiB).toFixed(1)} MiB`)
          .join(', ')}`,
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS * 0.95);
    expect(digestChecks).toBeGreaterThan(0);
    for (const [service, bytes] of Object.entries(growth))
      expect(bytes, service).toBeLessThan(ALLOWED_RSS_GROWTH);
  });
});
