import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../suite/lib/stack.js';
import { postChunked } from './lib/chunked.js';
import { MiB, memoryOf } from './lib/rss.js';

// Each target gets BODIES concurrent chunked bodies of BODY_MIB (128 MiB); read whole, they would add at
// least that to the service's peak RSS. Streamed, a body costs its route's limit (≤ 4 MiB) plus garbage
// the collector has not reclaimed yet.
const BODIES = 4;
const BODY_MIB = 32;
const ALLOWED_GROWTH = 80 * MiB;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ runners: {} });
});

afterAll(async () => {
  await stack?.stop();
});

interface Target {
  name: string;
  service: 'controller' | 'logs' | 'cache' | 'web';
  path: string;
  headers: (stack: Stack) => Record<string, string>;
  /** What a refused oversized body may be answered with (null: the socket was closed first). */
  statuses: Array<number | null>;
}

const json = { 'content-type': 'application/json' };
const admin = (s: Stack) => ({ ...json, authorization: `Bearer ${s.adminToken}` });
const TARGETS: Target[] = [
  {
    name: 'unsigned GitHub webhook',
    service: 'controller',
    path: '/webhooks/github/hello',
    headers: () => ({ ...json, 'x-github-event': 'push', 'x-github-delivery': 'd-1' }),
    statuses: [413, null],
  },
  {
    name: 'trigger with a valid token',
    service: 'controller',
    path: '/api/v1/triggers',
    headers: admin,
    statuses: [413, null],
  },
  {
    name: 'claim without a token',
    service: 'controller',
    path: '/api/v1/nodes/claim',
    headers: () => json,
    statuses: [401, null],
  },
  {
    name: 'log append with a valid token',
    service: 'logs',
    path: '/api/v1/logs/run_big/node',
    headers: (s) => ({ authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/x-ndjson' }),
    statuses: [413, null],
  },
  {
    name: 'log append without a token',
    service: 'logs',
    path: '/api/v1/logs/run_big/node',
    headers: () => ({ 'content-type': 'application/x-ndjson' }),
    statuses: [401, null],
  },
  {
    name: 'mirror registration with a valid token',
    service: 'cache',
    path: '/git/repos',
    headers: admin,
    statuses: [413, null],
  },
  {
    name: 'dashboard sign-in',
    service: 'web',
    path: '/api/session',
    headers: () => json,
    statuses: [413, null],
  },
];

describe('body limits hold while streaming, before authentication work', () => {
  for (const target of TARGETS) {
    it(`${target.service}: ${target.name} — ${BODIES} × ${BODY_MIB} MiB chunked bodies`, async () => {
      const pid = stack.procs[target.service]!.pid;
      const before = memoryOf(pid);
      const url = `${stack.urls[target.service]}${target.path}`;
      const results = await Promise.all(
        Array.from({ length: BODIES }, () => postChunked(url, BODY_MIB * MiB, target.headers(stack))),
      );
      const after = memoryOf(pid);
      const growth = after.peak - before.peak;
      console.log(
        `[body-limits] ${target.service} ${target.name}: statuses ${results.map((r) => r.status).join(',')}, ` +
          `peak RSS ${(before.peak / MiB).toFixed(0)} → ${(after.peak / MiB).toFixed(0)} MiB`,
      );
      for (const result of results) {
        expect(target.statuses).toContain(result.status);
        if (result.status !== null) {
          const envelope = JSON.parse(result.body) as { error: { code: string; request_id: string } };
          expect(envelope.error.request_id).toBeTruthy();
        }
      }
      expect(growth).toBeLessThan(ALLOWED_GROWTH);
      const health = await fetch(
        `${stack.urls[target.service]}${target.service === 'cache' ? '/health' : target.service === 'web' ? '/api/health' : '/api/v1/health'}`,
      );
      expect(health.status).toBe(200);
    });
  }
});
