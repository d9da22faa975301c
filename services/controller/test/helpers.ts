import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerClient } from '@sparkwing/client';
import type { ClaimResponse, PlanNode, Scope } from '@sparkwing/contracts';
import { type Controller, type ControllerOptions, createController, ManualClock } from '../src/index.js';

export const ADMIN = 'swt_test-admin-token-0123456789';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';

export interface Harness {
  ctl: Controller;
  clock: ManualClock;
  dir: string;
  admin: ControllerClient;
  /** A client bound to `token` talking to the in-process app. */
  client(token?: string): ControllerClient;
  /** Raw request against the app. */
  req(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> },
  ): Promise<Response>;
  /** A new API token with these scopes. */
  token(scopes: Scope[], kind?: 'user' | 'runner' | 'service'): string;
  close(): void;
}

export function harness(options: Partial<ControllerOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-controller-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const ctl = createController({
    dataDir: dir,
    adminToken: ADMIN,
    webhookSecret: WEBHOOK_SECRET,
    clock,
    ...options,
  });
  const fetch = (url: string, init?: RequestInit) => Promise.resolve(ctl.app.request(url, init));
  const client = (token?: string) =>
    new ControllerClient({ baseUrl: 'http://controller.test', token, fetch });
  let n = 0;
  return {
    ctl,
    clock,
    dir,
    admin: client(ADMIN),
    client,
    req: (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | Buffer | undefined = opts.raw;
      // A raw string would otherwise go out as text/plain, which JSON routes refuse (415).
      if (opts.raw !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] = 'application/json';
      }
      return Promise.resolve(ctl.app.request(`http://controller.test${path}`, { method, headers, body }));
    },
    token: (scopes, kind = 'service') => {
      n += 1;
      return ctl.tokens.create({ name: `t${n}`, kind, scopes }).token;
    },
    close: () => {
      ctl.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Triggers a run, claims its `_plan`, posts `nodes` and finishes `_plan`; returns the run id. */
export async function plannedRun(h: Harness, nodes: PlanNode[], pipeline = 'demo'): Promise<string> {
  const { run_id } = await h.admin.trigger({ pipeline });
  const plan = await h.admin.claim({ runner_id: 'planner', run_id });
  if (!plan) throw new Error('no _plan to claim');
  await h.admin.plan(run_id, { nodes }, plan.lease.token);
  await h.admin.finishNode(run_id, '_plan', plan.lease.token, { outcome: 'success' });
  return run_id;
}

export async function claimOrThrow(
  h: Harness,
  body: { runner_id: string; labels?: string[]; run_id?: string },
): Promise<ClaimResponse> {
  const claimed = await h.admin.claim(body);
  if (!claimed) throw new Error('nothing to claim');
  return claimed;
}

export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status: number; code: string; message: string };
    return { status: e.status, code: e.code, message: e.message };
  }
  throw new Error('expected the call to fail');
}
