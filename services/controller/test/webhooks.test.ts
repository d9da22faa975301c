import { afterEach, describe, expect, it } from 'vitest';
import { signGithubBody } from '../src/index.js';
import { type Harness, harness, WEBHOOK_SECRET } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const SHA = 'a'.repeat(40);
const repository = { clone_url: 'https://github.com/acme/app.git', full_name: 'acme/app' };

function deliver(
  event: string,
  payload: unknown,
  options: { delivery?: string; signature?: string | null; raw?: string } = {},
) {
  const raw = options.raw ?? JSON.stringify(payload);
  const headers: Record<string, string> = { 'x-github-event': event, 'content-type': 'application/json' };
  const signature = options.signature === undefined ? signGithubBody(WEBHOOK_SECRET, raw) : options.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  if (options.delivery) headers['x-github-delivery'] = options.delivery;
  return h.req('POST', '/webhooks/github/app', { raw, headers });
}

describe('GitHub webhooks', () => {
  it('verifies the signature: good passes, bad or missing gets 401', async () => {
    h = harness();
    expect((await deliver('ping', { zen: 'hi' })).status).toBe(200);
    expect((await deliver('ping', { zen: 'hi' }, { signature: null })).status).toBe(401);
    expect(
      (await deliver('ping', { zen: 'hi' }, { signature: signGithubBody('wrong', '{"zen":"hi"}') })).status,
    ).toBe(401);
    expect((await deliver('ping', { zen: 'hi' }, { signature: 'sha256=zz' })).status).toBe(401);
    expect((await deliver('ping', { zen: 'hi' }, { signature: 'sha1=abc' })).status).toBe(401);
  });

  it('refuses bodies over 1 MiB with 413 and bad JSON with 400', async () => {
    h = harness();
    const raw = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
    expect((await deliver('push', null, { raw })).status).toBe(413);
    expect((await deliver('push', null, { raw: '{nope' })).status).toBe(400);
  });

  it('triggers the pipeline on a branch push with repo, branch and sha', async () => {
    h = harness();
    const res = await deliver(
      'push',
      { ref: 'refs/heads/main', after: SHA, repository, sender: { login: 'dev' } },
      { delivery: 'd1' },
    );
    expect(res.status).toBe(202);
    const { run_id } = await res.json();
    const { run } = await h.admin.getRun(run_id);
    expect(run).toMatchObject({
      pipeline: 'app',
      git: { repo_url: repository.clone_url, branch: 'main', sha: SHA },
      trigger: { kind: 'webhook', event: 'push', actor: 'dev' },
    });
    const dup = await deliver('push', { ref: 'refs/heads/main', after: SHA, repository }, { delivery: 'd1' });
    expect(dup.status).toBe(200);
    expect(await dup.json()).toEqual({ run_id, duplicate: true });
    expect((await h.admin.listRuns()).runs).toHaveLength(1);
    const tag = await deliver('push', { ref: 'refs/tags/v1', after: SHA, repository }, { delivery: 'd2' });
    expect(tag.status).toBe(202);
    expect((await tag.json()).ignored).toBe(true);
    const deleted = await deliver('push', {
      ref: 'refs/heads/x',
      deleted: true,
      after: '0'.repeat(40),
      repository,
    });
    expect((await deleted.json()).ignored).toBe(true);
  });

  it('records pull requests whose head repository is not the base repository as forks', async () => {
    h = harness();
    const fork = { clone_url: 'https://github.com/mallory/app.git', full_name: 'mallory/app', fork: true };
    const res = await deliver(
      'pull_request',
      {
        action: 'opened',
        pull_request: {
          head: { ref: 'main', sha: SHA, repo: fork },
          base: { ref: 'main', repo: repository },
        },
        repository,
      },
      { delivery: 'fork-1' },
    );
    expect(res.status).toBe(202);
    const { run } = await h.admin.getRun((await res.json()).run_id);
    expect(run.git).toEqual({ repo_url: fork.clone_url, branch: 'main', sha: SHA, fork: true });
  });

  it('triggers on opened, synchronize and reopened pull requests only', async () => {
    h = harness();
    const pr = (action: string) => ({
      action,
      pull_request: { head: { ref: 'feature', sha: SHA, repo: repository } },
      repository,
    });
    for (const action of ['opened', 'synchronize', 'reopened']) {
      const res = await deliver('pull_request', pr(action), { delivery: `pr-${action}` });
      expect(res.status).toBe(202);
      const { run } = await h.admin.getRun((await res.json()).run_id);
      expect(run.git).toEqual({ repo_url: repository.clone_url, branch: 'feature', sha: SHA, fork: false });
      expect(run.trigger.event).toBe('pull_request');
    }
    const closed = await deliver('pull_request', pr('closed'), { delivery: 'pr-closed' });
    expect(closed.status).toBe(202);
    expect((await closed.json()).ignored).toBe(true);
    const issues = await deliver('issues', { action: 'opened' });
    expect(issues.status).toBe(202);
    expect((await issues.json()).reason).toContain('issues');
    expect((await h.admin.listRuns()).runs).toHaveLength(3);
    const metrics = await (await h.req('GET', '/metrics')).text();
    expect(metrics).toContain(
      'sparkwing_webhook_deliveries_total{event="pull_request",outcome="triggered",service="controller"} 3',
    );
    expect(metrics).toContain(
      'sparkwing_webhook_deliveries_total{event="other",outcome="ignored",service="controller"} 1',
    );
  });

  it('needs X-GitHub-Delivery to trigger, and refuses a branch longer than the API allows', async () => {
    h = harness();
    const push = (branch: string) => ({ ref: `refs/heads/${branch}`, after: SHA, repository });
    for (let i = 0; i < 2; i++) {
      const res = await deliver('push', push('main'));
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toContain('X-GitHub-Delivery');
    }
    const long = await deliver('push', push('b'.repeat(600)), { delivery: 'long-branch' });
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toContain('branch');
    expect((await h.admin.listRuns()).runs).toHaveLength(0);
  });

  it('answers 503 without a configured secret and 400 for a bad pipeline name', async () => {
    h = harness({ webhookSecret: undefined });
    expect((await deliver('ping', {})).status).toBe(503);
    h.close();
    h = harness();
    const res = await h.req('POST', '/webhooks/github/bad..name', {
      raw: '{}',
      headers: { 'x-github-event': 'ping' },
    });
    expect(res.status).toBe(400);
  });
});
