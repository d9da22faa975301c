import { createVerify, generateKeyPairSync } from 'node:crypto';
import { ControllerClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGithub, startFakeGithub } from './triggers/fake-github.js';
import { ADMIN, atOrigin, fixture, startTriggerStack, type TriggerStack } from './triggers/stack.js';

const CONFIG = '.sparkwing/sparkwing.yaml';
const YAML = 'pipelines:\n  - name: ci\n    entrypoint: ci\n    on:\n      push:\n        branches: [main]\n';

let github: FakeGithub;
let s: TriggerStack;
let api: ControllerClient;
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function verifyJwt(jwt: string): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (!header || !payload || !signature) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return (
    claims.iss === '1234' &&
    createVerify('RSA-SHA256')
      .update(`${header}.${payload}`)
      .verify(publicKey, Buffer.from(signature, 'base64url'))
  );
}

beforeAll(async () => {
  github = await startFakeGithub();
  github.app('42', 'ghs_installation-token', verifyJwt);
  s = await startTriggerStack({
    github: {
      credentials: {
        kind: 'app',
        appId: '1234',
        installationId: '42',
        privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      },
      apiUrl: github.url,
      publicUrl: 'https://ci.example.com/',
    },
  });
  api = new ControllerClient({ baseUrl: s.url, token: ADMIN });
});
afterAll(async () => {
  await s?.close();
  await github?.close();
});

const statusCalls = () => github.calls.filter((c) => c.path.includes('/statuses/'));

describe('GitHub commit statuses (fake GitHub API on 127.0.0.1)', () => {
  it('posts pending, retries 5xx and 429 with backoff, then the failure with its reason and a run link', async () => {
    const sha = s.origin.commit({ [CONFIG]: YAML });
    const payload = atOrigin(fixture('push'), s.origin);
    Object.assign(payload, { before: '0'.repeat(40), after: sha });
    github.failNext(502, 429);
    const res = await s.deliver('push', payload, 'status-1');
    expect(res.status).toBe(202);
    const [runId] = (await res.json()).run_ids as string[];
    // The webhook answered without waiting for GitHub: nothing was posted yet.
    expect(statusCalls()).toEqual([]);

    expect(await s.ctl.statuses!.tick()).toBe(1); // 502
    expect(await s.ctl.statuses!.tick()).toBe(0); // backing off: nothing due
    s.clock.advance(2_000);
    expect(await s.ctl.statuses!.tick()).toBe(1); // 429, Retry-After: 3
    s.clock.advance(2_000);
    expect(await s.ctl.statuses!.tick()).toBe(0);
    s.clock.advance(1_000);
    expect(await s.ctl.statuses!.tick()).toBe(1); // posted
    expect(statusCalls().map((c) => c.status)).toEqual([502, 429, 201]);
    const pending = statusCalls()[2]!;
    expect(pending.path).toBe(`/repos/acme/app/statuses/${sha}`);
    expect(pending.authorization).toBe('Bearer ghs_installation-token');
    expect(pending.body).toEqual({
      state: 'pending',
      description: 'queued',
      context: 'sparkwing/ci',
      target_url: `https://ci.example.com/runs/${runId}`,
    });

    // The run fails: its _plan node is OOM-killed.
    const claim = await api.claim({ runner_id: 'r1', run_id: runId });
    await api.finishNode(runId!, '_plan', claim!.lease.token, {
      outcome: 'failed',
      failure_reason: 'oom_killed',
      exit_code: 137,
      error: 'Killed (out of memory)',
    });
    s.clock.advance(2_000);
    expect(await s.ctl.statuses!.tick()).toBe(1);
    expect(statusCalls().at(-1)!.body).toMatchObject({
      state: 'failure',
      description: 'failed: oom_killed: node "_plan" failed: Killed (out of memory)',
      target_url: `https://ci.example.com/runs/${runId}`,
    });
    s.clock.advance(60_000);
    expect(await s.ctl.statuses!.tick()).toBe(0);
    expect(statusCalls()).toHaveLength(4);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/sparkwing_commit_statuses_total\{outcome="retried",service="controller"\} 2/);
    expect(metrics).toMatch(/sparkwing_commit_statuses_total\{outcome="posted",service="controller"\} 2/);
    // One installation token served every post.
    expect(github.calls.filter((c) => c.path.includes('/access_tokens'))).toHaveLength(1);
  });

  it('gives up on a permanent error (422) without retrying', async () => {
    const sha = s.origin.commit({ 'x.txt': 'x\n' });
    const payload = atOrigin(fixture('push'), s.origin);
    Object.assign(payload, { before: '0'.repeat(40), after: sha });
    github.failNext(422);
    await s.deliver('push', payload, 'status-2');
    s.clock.advance(1_000);
    expect(await s.ctl.statuses!.tick()).toBe(1);
    s.clock.advance(600_000);
    expect(await s.ctl.statuses!.tick()).toBe(0);
    expect(statusCalls().at(-1)!.status).toBe(422);
  });
});
