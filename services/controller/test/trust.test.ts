import type { GitSource, PlanNode } from '@sparkwing/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { claimOrThrow, errorOf, type Harness, harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.close());

const DIGEST = `sha256-${'ab'.repeat(32)}`;

/** Triggers `pipeline` from `git`, plans `nodes` (recording a bundle digest) and returns the run id. */
async function run(pipeline: string, git: GitSource | undefined, nodes: PlanNode[] = [{ id: 'job' }]) {
  const { run_id } = await h.admin.trigger({ pipeline, ...(git ? { git } : {}) });
  const plan = await claimOrThrow(h, { runner_id: 'planner', run_id });
  await h.admin.plan(run_id, { nodes, bundle_digest: DIGEST }, plan.lease.token);
  await h.admin.finishNode(run_id, '_plan', plan.lease.token, { outcome: 'success' });
  return run_id;
}

const repo = 'https://github.com/acme/app.git';

describe('secret scopes', () => {
  it('serves a secret only to the pipelines and protected branches its scope names', async () => {
    h = harness();
    await h.admin.putSecret('ANY', 'any-value');
    const deploy = await h.admin.putSecret('DEPLOY', 'deploy-value', {
      pipelines: ['deploy'],
      branches: ['main', 'release/*'],
    });
    expect(deploy).toMatchObject({ name: 'DEPLOY', pipelines: ['deploy'], branches: ['main', 'release/*'] });
    expect((await h.admin.listSecrets()).secrets.find((s) => s.name === 'ANY')).toMatchObject({
      pipelines: null,
      branches: null,
    });

    const read = async (pipeline: string, git: GitSource | undefined, name: string) => {
      const runId = await run(pipeline, git);
      const job = await claimOrThrow(h, { runner_id: 'r', run_id: runId });
      return h.admin.runSecret(runId, name, job.lease.token);
    };
    const main = { repo_url: repo, branch: 'main' };
    expect(await read('deploy', main, 'DEPLOY')).toEqual({ name: 'DEPLOY', value: 'deploy-value' });
    expect((await read('deploy', { repo_url: repo, branch: 'release/1.2' }, 'DEPLOY')).value).toBe(
      'deploy-value',
    );
    const otherPipeline = await errorOf(read('test', main, 'DEPLOY'));
    expect(otherPipeline).toMatchObject({ status: 403 });
    expect(otherPipeline.message).toContain('not available to pipeline test');
    for (const git of [
      { repo_url: repo, branch: 'feature' },
      { repo_url: repo, branch: 'release/1/x' },
      undefined,
    ]) {
      const denied = await errorOf(read('deploy', git, 'DEPLOY'));
      expect(denied.status, JSON.stringify(git)).toBe(403);
      expect(denied.message).toContain('protected branches');
    }
    expect((await read('test', undefined, 'ANY')).value).toBe('any-value');
  });

  it('gives fork pull request runs no secrets unless the operator opted the pipeline in', async () => {
    h = harness({ forkSecretPipelines: ['trusted-forks'] });
    await h.admin.putSecret('ANY', 'any-value');
    await h.admin.putSecret('MAIN_ONLY', 'main-value', { branches: ['main'] });
    const fork = { repo_url: 'https://github.com/mallory/app.git', branch: 'main', fork: true };
    const forkRun = await run('ci', fork);
    const job = await claimOrThrow(h, { runner_id: 'r', run_id: forkRun });
    const denied = await errorOf(h.admin.runSecret(forkRun, 'ANY', job.lease.token));
    expect(denied.status).toBe(403);
    expect(denied.message).toContain('fork pull request');
    expect((await h.admin.getRun(forkRun)).run.git?.fork).toBe(true);

    const optedIn = await run('trusted-forks', fork);
    const optedJob = await claimOrThrow(h, { runner_id: 'r', run_id: optedIn });
    expect((await h.admin.runSecret(optedIn, 'ANY', optedJob.lease.token)).value).toBe('any-value');
    // A fork's branch name is its author's choice: it never matches a protected-branch scope.
    expect((await errorOf(h.admin.runSecret(optedIn, 'MAIN_ONLY', optedJob.lease.token))).status).toBe(403);
  });
});

describe('secrets follow the lease', () => {
  it('refuses a node token whose node finished, even before the token expires', async () => {
    h = harness();
    await h.admin.putSecret('ANY', 'any-value');
    const runId = await run('ci', undefined, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const a = await claimOrThrow(h, { runner_id: 'r', run_id: runId });
    expect((await h.admin.runSecret(runId, 'ANY', a.lease.token)).value).toBe('any-value');
    await h.admin.finishNode(runId, 'a', a.lease.token, { outcome: 'success' });
    const after = await errorOf(h.admin.runSecret(runId, 'ANY', a.lease.token));
    expect(after).toMatchObject({ status: 409, code: 'lease_lost' });
    expect(after.message).toContain('finished');
  });

  it('refuses a node of a cancelled run while it is still winding down', async () => {
    h = harness();
    await h.admin.putSecret('ANY', 'any-value');
    const runId = await run('ci');
    const job = await claimOrThrow(h, { runner_id: 'r', run_id: runId });
    await h.admin.startNode(runId, 'job', job.lease.token, { runner_id: 'r' });
    await h.admin.cancelRun(runId);
    const denied = await errorOf(h.admin.runSecret(runId, 'ANY', job.lease.token));
    expect(denied).toMatchObject({ status: 409, code: 'lease_lost' });
    expect(denied.message).toContain('cancelled');
  });
});

describe('node tokens within their own run', () => {
  it('read their run and the outputs of the jobs they need, and nothing of another run', async () => {
    h = harness();
    const runId = await run('ci', undefined, [{ id: 'a' }, { id: 'b', needs: ['a'] }]);
    const other = await run('ci');
    const a = await claimOrThrow(h, { runner_id: 'r', run_id: runId });
    await h.admin.finishNode(runId, 'a', a.lease.token, { outcome: 'success', output: { version: '1.2.3' } });
    const b = await claimOrThrow(h, { runner_id: 'r', run_id: runId });
    expect(b.run.bundle_digest).toBe(DIGEST);
    const asNode = h.client(b.lease.token);
    expect((await asNode.getNode(runId, 'a')).output).toEqual({ version: '1.2.3' });
    expect((await asNode.getRun(runId)).nodes.map((n) => n.id)).toEqual(['_plan', 'a', 'b']);
    expect((await errorOf(asNode.getRun(other))).status).toBe(403);
    expect((await errorOf(asNode.getNode(other, 'job'))).status).toBe(403);
    expect((await errorOf(asNode.listRuns())).status).toBe(403);
    const claimOnly = h.client(h.token(['nodes.claim'], 'runner'));
    expect((await errorOf(claimOnly.getNode(runId, 'a'))).status).toBe(403);
  });

  it('let only the _plan node record the compiled pipeline digest', async () => {
    h = harness();
    const { run_id } = await h.admin.trigger({ pipeline: 'ci' });
    const plan = await claimOrThrow(h, { runner_id: 'planner', run_id });
    const bad = await h.req('POST', `/api/v1/runs/${run_id}/plan`, {
      token: plan.lease.token,
      body: { nodes: [{ id: 'a' }], bundle_digest: 'pipeline-123' },
    });
    expect(bad.status).toBe(400);
    await h.admin.plan(run_id, { nodes: [{ id: 'a' }], bundle_digest: DIGEST }, plan.lease.token);
    await h.admin.finishNode(run_id, '_plan', plan.lease.token, { outcome: 'success' });
    const a = await claimOrThrow(h, { runner_id: 'r', run_id });
    const again = await errorOf(
      h.admin.plan(
        run_id,
        { nodes: [{ id: 'x' }], bundle_digest: `sha256-${'0'.repeat(64)}` },
        a.lease.token,
      ),
    );
    expect(again.status).toBe(403);
    expect((await h.admin.getRun(run_id)).run.bundle_digest).toBe(DIGEST);
  });
});
