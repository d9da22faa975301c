import { createHmac } from 'node:crypto';
import { signNodeToken } from '@sparkwing/contracts';
import { INTROSPECTION_CACHE_MS } from '@sparkwing/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../suite/lib/stack.js';
import { ACCESS_TABLE, type Access, type RouteEntry } from './lib/access-table.js';
import { type Answer, envelopeOf, send } from './lib/requests.js';
import { type ServiceName, serviceRouteTables } from './lib/routes.js';

/**
 * The security matrix: every route of every service (read from the services' own route tables), called
 * as each kind of caller an attacker could be. A route the table does not know fails the suite.
 */
type Row =
  | 'no token'
  | 'bad token'
  | 'revoked token'
  | 'expired node token'
  | 'other run node token'
  | 'missing scope'
  | 'missing csrf'
  | 'right scope';

let stack: Stack;
let tables: Record<ServiceName, string[]>;
let run: string;
let lease: string;
const tokens: Record<string, string> = {};
const sessions: Record<string, { cookie: string; csrf: string }> = {};
let rowsChecked = 0;

async function apiToken(
  name: string,
  kind: 'user' | 'service' | 'runner',
  scopes: string[],
): Promise<string> {
  const response = await fetch(`${stack.urls.controller}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, kind, scopes }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

async function signIn(token: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${stack.urls.web}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, csrf: ((await response.json()) as { csrf_token: string }).csrf_token };
}

beforeAll(async () => {
  tables = await serviceRouteTables();
  stack = await startStack({ runners: {}, controllerEnv: { SPARKWING_LEASE_DURATION: '10m' } });
  for (const scope of ['runs.read', 'runs.write', 'nodes.claim', 'logs.read', 'logs.write'])
    tokens[scope] = await apiToken(`only-${scope}`, 'service', [scope]);
  tokens.admin = stack.adminToken;
  tokens.mirrorAdmin = await apiToken('mirror-admin', 'service', ['runs.write']);
  tokens.person = await apiToken('person', 'user', ['runs.read', 'runs.write', 'logs.read']);
  tokens.revoked = await apiToken('revoked', 'user', ['admin']);
  sessions.runsRead = await signIn(await apiToken('web-runs', 'user', ['runs.read']));
  sessions.runsWrite = await signIn(await apiToken('web-runs-write', 'user', ['runs.read', 'runs.write']));
  sessions.logsRead = await signIn(await apiToken('web-logs', 'user', ['logs.read']));
  sessions.revoked = await signIn(tokens.revoked);
  const prefix = (
    (await (
      await fetch(`${stack.urls.controller}/api/v1/tokens`, {
        headers: { authorization: `Bearer ${stack.adminToken}` },
      })
    ).json()) as { tokens: { name: string; prefix: string }[] }
  ).tokens.find((t) => t.name === 'revoked')!.prefix;
  const revoked = await fetch(`${stack.urls.controller}/api/v1/tokens/${prefix}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${stack.adminToken}` },
  });
  expect(revoked.status).toBeLessThan(300);
  // Logs, cache and web reuse an introspection answer for at most INTROSPECTION_CACHE_MS: the documented
  // bound on how long a revoked token keeps working there. The rows below start after it.
  await new Promise((resolve) => setTimeout(resolve, INTROSPECTION_CACHE_MS + 250));
  run = (await stack.controller.trigger({ pipeline: 'matrix' })).run_id;
  const claimed = await stack.controller.claim({ runner_id: 'matrix', run_id: run });
  lease = claimed!.lease.token;
  tokens.otherNode = signNodeToken(stack.signingKey, {
    run_id: 'run_other',
    node_id: '_plan',
    attempt: 1,
    exp: Date.now() + 600_000,
  });
  tokens.expiredNode = signNodeToken(stack.signingKey, {
    run_id: run,
    node_id: '_plan',
    attempt: 1,
    exp: Date.now() - 1_000,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  console.log(`[security-matrix] ${rowsChecked} (route, caller) rows checked`);
});

function concretePath(template: string, entry: RouteEntry): string {
  if (entry.path) return entry.path.replace('{run}', run);
  return template
    .replace(/:(id|runId|runID|run)\b/g, run)
    .replace(/:(nodeID|nodeId|node)\b/g, '_plan')
    .replace(':pipeline', 'matrix')
    .replace(':name', 'nosuch')
    .replace(':key', 'matrix-key')
    .replace(':registry', 'npm')
    .replace(/\*$/, 'file.txt')
    .replace(/^\*$/, '/no/such/page');
}

/** The rows that apply to an access kind, each with the credentials it sends and what it must get. */
function rowsFor(
  access: Access,
  rightMayBe: number[] = [],
): Array<{ row: Row; headers: Record<string, string>; expect: (a: Answer) => void }> {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const status =
    (...allowed: number[]) =>
    (a: Answer) =>
      expect(allowed).toContain(a.status);
  const passes = () => (a: Answer) => {
    if (rightMayBe.includes(a.status)) return;
    expect(a.status).not.toBe(401);
    expect(a.status).not.toBe(403);
    expect(a.status).toBeLessThan(500);
  };
  switch (access.kind) {
    case 'public':
      return [{ row: 'no token', headers: {}, expect: (a) => expect(a.status).toBeLessThan(500) }];
    case 'hmac':
      return [
        { row: 'no token', headers: { 'x-github-event': 'ping' }, expect: status(401) },
        {
          row: 'bad token',
          headers: { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
          expect: status(401),
        },
        {
          row: 'right scope',
          headers: { 'x-github-event': 'ping', 'x-hub-signature-256': 'SIGN' },
          expect: passes(),
        },
      ];
    case 'any-token':
      return [
        { row: 'no token', headers: {}, expect: status(401) },
        { row: 'bad token', headers: bearer('swt_not-a-token-at-all'), expect: status(401) },
        { row: 'revoked token', headers: bearer(tokens.revoked!), expect: status(401) },
        { row: 'expired node token', headers: bearer(tokens.expiredNode!), expect: status(401) },
        { row: 'right scope', headers: bearer(tokens['logs.read']!), expect: passes() },
      ];
    case 'node':
      return [
        { row: 'no token', headers: {}, expect: status(401) },
        { row: 'bad token', headers: bearer('swt_not-a-token-at-all'), expect: status(401) },
        { row: 'revoked token', headers: bearer(tokens.revoked!), expect: status(401) },
        // An expired node token is a lapsed lease: 409 lease_lost, as for a reclaimed one.
        { row: 'expired node token', headers: bearer(tokens.expiredNode!), expect: status(409) },
        { row: 'other run node token', headers: bearer(tokens.otherNode!), expect: status(403) },
        { row: 'missing scope', headers: bearer(tokens.admin!), expect: status(403) },
        { row: 'right scope', headers: bearer(lease), expect: passes() },
      ];
    case 'api': {
      const right =
        access.scope === 'mirror-admin'
          ? tokens.mirrorAdmin!
          : access.scope === 'admin'
            ? tokens.admin!
            : tokens[access.scope]!;
      const missing =
        access.scope === 'mirror-admin'
          ? tokens.person!
          : access.scope === 'admin'
            ? tokens.person!
            : tokens[
                access.scope === 'logs.read' || access.scope === 'logs.write' ? 'runs.write' : 'logs.write'
              ]!;
      return [
        { row: 'no token', headers: {}, expect: status(401) },
        { row: 'bad token', headers: bearer('swt_not-a-token-at-all'), expect: status(401) },
        { row: 'revoked token', headers: bearer(tokens.revoked!), expect: status(401) },
        { row: 'expired node token', headers: bearer(tokens.expiredNode!), expect: status(401) },
        {
          row: 'other run node token',
          headers: bearer(tokens.otherNode!),
          expect: access.node === 'any' ? passes() : status(403),
        },
        { row: 'missing scope', headers: bearer(missing), expect: status(403) },
        { row: 'right scope', headers: bearer(access.node === 'own' ? lease : right), expect: passes() },
        ...(access.node === 'own'
          ? [{ row: 'right scope' as Row, headers: bearer(right), expect: passes() }]
          : []),
      ];
    }
    case 'session': {
      const right =
        access.scope === 'logs.read'
          ? sessions.logsRead!
          : access.csrf
            ? sessions.runsWrite!
            : sessions.runsRead!;
      const missing =
        access.scope === 'logs.read'
          ? sessions.runsRead!
          : access.csrf
            ? sessions.runsRead!
            : sessions.logsRead!;
      const as = (s: { cookie: string; csrf: string }, csrf = true) => ({
        cookie: s.cookie,
        ...(access.csrf && csrf ? { 'x-csrf-token': s.csrf } : {}),
      });
      return [
        { row: 'no token', headers: {}, expect: status(401) },
        { row: 'bad token', headers: { cookie: 'sparkwing_session=forged.value' }, expect: status(401) },
        { row: 'revoked token', headers: as(sessions.revoked!), expect: status(401) },
        { row: 'missing scope', headers: as(missing), expect: status(403) },
        ...(access.csrf
          ? [{ row: 'missing csrf' as Row, headers: as(right, false), expect: status(403) }]
          : []),
        { row: 'right scope', headers: as(right), expect: passes() },
      ];
    }
    case 'sign-in':
      return [
        {
          row: 'bad token',
          headers: { 'x-body': JSON.stringify({ token: 'swt_not-a-token-at-all' }) },
          expect: status(401),
        },
        {
          row: 'revoked token',
          headers: { 'x-body': JSON.stringify({ token: tokens.revoked }) },
          expect: status(401),
        },
        {
          row: 'expired node token',
          headers: { 'x-body': JSON.stringify({ token: tokens.expiredNode }) },
          expect: status(401),
        },
        {
          row: 'other run node token',
          headers: { 'x-body': JSON.stringify({ token: tokens.otherNode }) },
          expect: status(403),
        },
        {
          row: 'right scope',
          headers: { 'x-body': JSON.stringify({ token: tokens.person }) },
          expect: passes(),
        },
      ];
  }
}

describe('security matrix', () => {
  it('every route of every service has an entry, and every entry a route', () => {
    for (const service of Object.keys(ACCESS_TABLE) as ServiceName[]) {
      const known = new Set(Object.keys(ACCESS_TABLE[service]));
      const routes = new Set(tables[service]);
      expect(
        [...routes].filter((route) => !known.has(route)),
        `${service}: routes without a matrix entry (add them to e2e/security/lib/access-table.ts)`,
      ).toEqual([]);
      expect(
        [...known].filter((route) => !routes.has(route)),
        `${service}: matrix entries for routes that no longer exist`,
      ).toEqual([]);
    }
  });

  for (const service of Object.keys(ACCESS_TABLE) as ServiceName[]) {
    it(`${service}: each route answers each caller as its access rule says`, async () => {
      for (const [key, entry] of Object.entries(ACCESS_TABLE[service])) {
        const [method, template] = key.split(' ') as [string, string];
        const path = concretePath(template, entry);
        for (const { row, headers, expect: check } of rowsFor(entry.access, entry.rightMayBe)) {
          let body = entry.body;
          const sent: Record<string, string> = { ...headers };
          if (sent['x-body'] !== undefined) {
            body = sent['x-body'];
            delete sent['x-body'];
            sent['content-type'] = 'application/json';
          }
          if (body !== undefined && entry.contentType) sent['content-type'] = entry.contentType;
          if (sent['x-hub-signature-256'] === 'SIGN')
            sent['x-hub-signature-256'] = sign(stack.webhookSecret, body ?? '');
          const answer = await send(`${stack.urls[service]}${path}`, {
            method,
            headers: sent,
            body: method === 'GET' || method === 'HEAD' ? undefined : body,
          });
          rowsChecked += 1;
          try {
            check(answer);
            // Browser pages (the dashboard's HTML 404) are for people; everything else speaks the envelope.
            if (answer.status >= 400 && method !== 'HEAD' && !answer.contentType.startsWith('text/html'))
              expect(envelopeOf(answer), 'error envelope').not.toBeNull();
          } catch (error) {
            throw new Error(
              `${service} ${key} [${row}] → ${answer.status} ${answer.text.slice(0, 300)}\n${(error as Error).message}`,
            );
          }
        }
      }
    });
  }
});

describe('security matrix: secrets by run', () => {
  it('a fork pull request run and another pipeline run get 403, the entitled run reads the secret', async () => {
    const admin = { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${stack.urls.controller}/api/v1/secrets`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'MATRIX_SECRET', value: 'matrix-value-1234', pipelines: ['matrix'] }),
    });
    expect(created.status).toBeLessThan(300);
    const leaseOf = async (pipeline: string, fork: boolean) => {
      const git = { repo_url: 'https://github.com/acme/app.git', branch: 'feature', fork };
      const runId = (await stack.controller.trigger({ pipeline, git })).run_id;
      const claimed = await stack.controller.claim({ runner_id: `matrix-${pipeline}`, run_id: runId });
      return { runId, token: claimed!.lease.token };
    };
    const rows = [
      { row: 'fork-PR run node token', ...(await leaseOf('matrix', true)), status: 403 },
      { row: 'other pipeline node token', ...(await leaseOf('elsewhere', false)), status: 403 },
      { row: 'right scope', runId: run, token: lease, status: 200 },
    ];
    for (const { row, runId, token, status } of rows) {
      const answer = await send(`${stack.urls.controller}/api/v1/runs/${runId}/secrets/MATRIX_SECRET`, {
        method: 'GET',
        headers: { authorization: `Bearer ${token}` },
      });
      rowsChecked += 1;
      expect(answer.status, `${row}: ${answer.text.slice(0, 300)}`).toBe(status);
      if (status === 200) expect(JSON.parse(answer.text).value).toBe('matrix-value-1234');
      else expect(envelopeOf(answer), row).not.toBeNull();
    }
  });
});

function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
