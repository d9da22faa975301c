import { ControllerClient } from '@sparkwing/client';
import type { Run } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, atOrigin, fixture, startTriggerStack, type TriggerStack } from './triggers/stack.js';

const V1 = `pipelines:
  - name: build
    entrypoint: build
    on:
      push:
        branches: [main, 'release/**']
        paths: ['src/**']
  - name: docs
    entrypoint: docs
    on:
      push:
        branches: ['**']
        paths: ['docs/**']
  - name: release
    entrypoint: release
    on:
      push:
        tags: ['v*']
  - name: pr
    entrypoint: pr
    on:
      pull_request:
        branches: [main]
    concurrency:
      group: 'pr-{pr}'
      cancel_in_progress: true
  - name: manual
    entrypoint: manual
    on:
      webhook: true
`;
/** V1 with build running on every main push and a new pipeline, lint. */
const V2 = V1.replace(
  "        branches: [main, 'release/**']\n        paths: ['src/**']\n",
  '        branches: [main]\n',
).concat(`  - name: lint\n    entrypoint: lint\n    on:\n      push:\n        branches: ['**']\n`);
const CONFIG = '.sparkwing/sparkwing.yaml';

let s: TriggerStack;
let api: ControllerClient;
const shas: Record<string, string> = {};

beforeAll(async () => {
  s = await startTriggerStack();
  api = new ControllerClient({ baseUrl: s.url, token: ADMIN });
  shas.A = s.origin.commit({ [CONFIG]: V1, 'src/a.ts': 'a\n' });
  shas.B = s.origin.commit({ 'src/b.ts': 'b\n' });
});
afterAll(async () => s?.close());

function push(before: string, after: string, modified: string[], ref = 'refs/heads/main') {
  const payload = atOrigin(fixture('push'), s.origin);
  Object.assign(payload, { ref, before, after });
  payload.commits[0].id = after;
  payload.commits[0].modified = modified;
  payload.head_commit = payload.commits[0];
  return payload;
}

async function runsOf(body: { run_ids: string[] }): Promise<Run[]> {
  return Promise.all(body.run_ids.map(async (id) => (await api.getRun(id)).run));
}

describe('POST /webhooks/github against a real cache mirror', () => {
  it('answers a ping', async () => {
    const res = await s.deliver('ping', fixture('ping'), 'ping-1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, event: 'ping' });
  });

  it('registers the mirror on first sight and runs only the pipelines whose on: matches', async () => {
    const res = await s.deliver('push', push(shas.A!, shas.B!, ['src/b.ts']), 'push-1');
    expect(res.status).toBe(202);
    const body = await res.json();
    const runs = await runsOf(body);
    expect(runs.map((r) => r.pipeline)).toEqual(['build']);
    expect(runs[0]).toMatchObject({
      status: 'queued',
      git: { repo_url: s.origin.bare, branch: 'main', sha: shas.B },
      trigger: {
        kind: 'webhook',
        event: 'push',
        actor: 'octocat',
        ref: 'refs/heads/main',
        sha: shas.B,
        pr_number: null,
        fork: false,
        rule: 'push.branches: main +paths',
        repo: 'acme/app',
      },
    });
    expect(body.skipped.map((x: { pipeline: string }) => x.pipeline).sort()).toEqual([
      'docs',
      'manual',
      'pr',
      'release',
    ]);
    const mirrors = await (
      await fetch(`${s.cache.url}/git/repos`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json();
    expect(mirrors.repos.map((r: { name: string; url: string }) => [r.name, r.url])).toEqual([
      ['acme--app', s.origin.bare],
    ]);
  });

  it('creates nothing for a redelivery', async () => {
    const again = await s.deliver('push', push(shas.A!, shas.B!, ['src/b.ts']), 'push-1');
    expect(again.status).toBe(200);
    const body = await again.json();
    expect(body.duplicate).toBe(true);
    expect(body.run_ids).toHaveLength(1);
    expect((await api.listRuns()).runs).toHaveLength(1);
  });

  it('falls back to a diff in the mirror when the payload lists 20 commits (truncated)', async () => {
    s.origin.commit({ 'docs/x.md': 'x\n' });
    shas.D = s.origin.commit({ 'docs/y.md': 'y\n' });
    const payload = push(shas.B!, shas.D!, ['src/not-really.ts']);
    payload.commits = Array.from({ length: 20 }, () => payload.commits[0]);
    const runs = await runsOf(await (await s.deliver('push', payload, 'push-2')).json());
    expect(runs.map((r) => [r.pipeline, r.trigger.rule])).toEqual([['docs', 'push.branches: ** +paths']]);
  });

  it("judges a push by sparkwing.yaml at the event's commit, including a push that changes it", async () => {
    shas.E = s.origin.commit({ [CONFIG]: V2 });
    const changed = await runsOf(
      await (await s.deliver('push', push(shas.D!, shas.E!, [CONFIG]), 'push-3')).json(),
    );
    expect(changed.map((r) => r.pipeline).sort()).toEqual(['build', 'lint']);
    // An event for the older commit B still reads B's file: no lint there.
    const old = await runsOf(
      await (await s.deliver('push', push(shas.A!, shas.B!, ['src/b.ts']), 'push-4')).json(),
    );
    expect(old.map((r) => r.pipeline)).toEqual(['build']);
  });

  it('runs tag pipelines on a tag push and nothing on a branch deletion', async () => {
    s.origin.tag('v1.0.0');
    const tag = atOrigin(fixture('push-tag'), s.origin);
    tag.after = shas.E;
    const runs = await runsOf(await (await s.deliver('push', tag, 'tag-1')).json());
    expect(runs.map((r) => [r.pipeline, r.trigger.event, r.trigger.ref, r.git?.branch])).toEqual([
      ['release', 'tag', 'refs/tags/v1.0.0', undefined],
    ]);
    const before = (await api.listRuns({ limit: 500 })).runs.length;
    const deleted = await s.deliver('push', atOrigin(fixture('push-branch-delete'), s.origin), 'delete-1');
    expect(deleted.status).toBe(202);
    expect(await deleted.json()).toEqual({ ignored: true, reason: 'refs/heads/feature/old was deleted' });
    expect((await api.listRuns({ limit: 500 })).runs).toHaveLength(before);
  });

  it('runs PR pipelines, cancels the older run of the concurrency group, and cancels on close', async () => {
    const F = s.origin.commit({ 'README.md': 'readme\n' }, 'feature/readme');
    const opened = atOrigin(fixture('pull-request-opened'), s.origin);
    opened.pull_request.head.sha = F;
    opened.pull_request.base.sha = shas.E;
    const [first] = await runsOf(await (await s.deliver('pull_request', opened, 'pr-1')).json());
    expect(first).toMatchObject({
      pipeline: 'pr',
      git: { repo_url: s.origin.bare, branch: 'feature/readme', sha: F },
      concurrency_group: 'acme/app:pr-7',
      trigger: { event: 'pull_request', pr_number: 7, fork: false, ref: 'refs/pull/7/head' },
    });
    expect(first!.trigger.rule).toBe('pull_request.branches: main (opened)');

    const G = s.origin.commit({ 'README.md': 'readme 2\n' }, 'feature/readme');
    const sync = atOrigin(fixture('pull-request-synchronize'), s.origin);
    sync.pull_request.head.sha = G;
    sync.pull_request.base.sha = shas.E;
    const [second] = await runsOf(await (await s.deliver('pull_request', sync, 'pr-2')).json());
    expect(second!.trigger.rule).toBe('pull_request.branches: main (synchronize)');
    expect((await api.getRun(first!.id)).run.status).toBe('cancelled');
    expect((await api.getRun(second!.id)).run.status).toBe('queued');

    const closed = atOrigin(fixture('pull-request-closed'), s.origin);
    closed.pull_request.head.sha = G;
    closed.pull_request.base.sha = shas.E;
    const body = await (await s.deliver('pull_request', closed, 'pr-3')).json();
    expect(body.run_ids).toEqual([]);
    expect(body.cancelled).toEqual([second!.id]);
    expect((await api.getRun(second!.id)).run.status).toBe('cancelled');
  });

  it('records a pull request from a fork as fork: true (its head exists only as refs/pull/N/head)', async () => {
    const H = s.origin.commit({ 'fork.txt': 'from a fork\n' }, 'fork-work');
    s.origin.pullRef(8, H);
    const fork = atOrigin(fixture('pull-request-opened-fork'), s.origin);
    fork.number = 8;
    fork.pull_request.number = 8;
    fork.pull_request.head.sha = H;
    fork.pull_request.base.sha = shas.E;
    const [run] = await runsOf(await (await s.deliver('pull_request', fork, 'pr-fork-1')).json());
    expect(run!.trigger).toMatchObject({ pr_number: 8, fork: true, actor: 'octocat' });
    // The fork's head branch has the same name as ours: the branch filter sees all three PR runs.
    expect((await api.listRuns({ event: 'pull_request', branch: 'feature/readme' })).runs).toHaveLength(3);
  });

  it('turns an invalid sparkwing.yaml at the commit into one failed run naming file, line and key', async () => {
    const bad = s.origin.commit(
      { [CONFIG]: 'pipelines:\n  - name: ci\n    entrypoint: ci\n    timout: 5m\n' },
      'broken',
    );
    const body = await (
      await s.deliver('push', push(shas.E!, bad, [CONFIG], 'refs/heads/broken'), 'bad-1')
    ).json();
    const runs = await runsOf(body);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ pipeline: 'sparkwing.yaml', status: 'failed' });
    expect(runs[0]!.error).toBe('.sparkwing/sparkwing.yaml:4: pipelines[0].timout: unknown key "timout"');
    expect(runs[0]!.trigger.rule).toBe('invalid sparkwing.yaml');
  });

  it('filters GET /runs by pipeline, branch, event and status, and refuses unknown events', async () => {
    expect((await api.listRuns({ event: 'tag' })).runs.map((r) => r.pipeline)).toEqual(['release']);
    expect((await api.listRuns({ branch: 'broken', status: 'failed' })).runs).toHaveLength(1);
    expect((await api.listRuns({ pipeline: 'build', branch: 'main', event: 'push' })).runs).toHaveLength(3);
    expect((await api.listRuns({ pipeline: 'build', branch: 'develop' })).runs).toHaveLength(0);
    const bad = await fetch(`${s.url}/api/v1/runs?event=nope`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('validation_failed');
  });

  it('refuses a delivery without X-GitHub-Delivery and counts deliveries by outcome', async () => {
    const raw = await fetch(`${s.url}/webhooks/github`, {
      method: 'POST',
      headers: { 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' },
      body: '{}',
    });
    expect(raw.status).toBe(401);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(
      /sparkwing_webhook_deliveries_total\{event="push",outcome="triggered",service="controller"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /sparkwing_webhook_deliveries_total\{event="push",outcome="duplicate",service="controller"\} 1/,
    );
  });
});
