import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControllerClient } from '@sparkwing/client';
import { bundleDigest } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, nodeLog, nodeOf, waitForRun } from './lib/helpers.js';
import { repoPath } from './lib/procs.js';
import { type Stack, startStack } from './lib/stack.js';

const FIXTURE = repoPath('e2e/suite/fixtures/isolation');
const DEPLOY_KEY = 'deploy-key-7c1e9a40b2d8';
const HOSTILE_OK = 'hostile-may-read-3f5a7c9e';

// The Isolation suite: a hostile pipeline tries each cross-run attack from inside its run, a fork pull
// request tries to read secrets, and the legitimate pipeline next to them keeps running its own code.
describe('isolation between runs', () => {
  let stack: Stack;
  let uploadRef: string;

  beforeAll(async () => {
    stack = await startStack({ runners: { 'runner-a': ['linux'] } });
    uploadRef = (await stack.cache.uploadTree({ cwd: FIXTURE, files: listFiles(FIXTURE) })).upload_ref;
    await stack.controller.putSecret('DEPLOY_KEY', DEPLOY_KEY, { pipelines: ['victim'] });
    await stack.controller.putSecret('HOSTILE_OK', HOSTILE_OK);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const trigger = async (pipeline: string, extra: Record<string, unknown> = {}) =>
    (await stack.controller.trigger({ pipeline, upload_ref: uploadRef, ...extra })).run_id;

  /** Claims the node as the Kubernetes dispatcher would and runs `sparkwing-runner worker` for it. */
  async function runWorker(runId: string, labels: string[]): Promise<number | null> {
    let claim = null;
    for (let i = 0; i < 100 && !claim; i += 1)
      claim = await stack.controller.claim({
        runner_id: 'dispatcher',
        run_id: runId,
        labels,
        wait_ms: 1_000,
      });
    if (!claim) throw new Error(`nothing of ${runId} to claim`);
    const worker = spawn(process.execPath, [repoPath('services/runner/bin/sparkwing-runner.js'), 'worker'], {
      env: {
        PATH: process.env.PATH ?? '',
        SPARKWING_CONTROLLER_URL: stack.urls.controller,
        SPARKWING_LOGS_URL: stack.urls.logs,
        SPARKWING_CACHE_URL: stack.urls.cache,
        SPARKWING_HOME: join(stack.dir, `worker-${claim.node.id}`),
        SPARKWING_RUN_ID: runId,
        SPARKWING_NODE_ID: claim.node.id,
        SPARKWING_AGENT_TOKEN: claim.lease.token,
      },
      stdio: 'ignore',
    });
    return new Promise((done) => worker.on('exit', done));
  }

  it('a hostile run reaches nothing of another run, and the legitimate run keeps executing its own code', async () => {
    const first = await waitForRun(stack.controller, await trigger('victim'));
    expect(first.run.status).toBe('success');
    expect(nodeOf(first, 'deploy').output).toEqual({ code: 'victim', key_length: DEPLOY_KEY.length });
    const digest = first.run.bundle_digest!;
    expect(digest).toMatch(/^sha256-[0-9a-f]{64}$/);

    const drop = join(stack.dir, 'stolen-token');
    const hostileRun = await trigger('hostile', {
      args: { victim_run: first.run.id, victim_digest: digest, drop },
    });
    expect(await runWorker(hostileRun, ['isolated'])).toBe(0);
    const hostile = await waitForRun(stack.controller, hostileRun);
    const attack = nodeOf(hostile, 'attack');
    expect(attack.status, attack.error ?? '').toBe('success');
    const output = attack.output as {
      token_found: boolean;
      runner_token_found: boolean;
      statuses: Record<string, number>;
      leak: Record<string, string>;
    };
    // The attacker did get hold of its own node token (the worst case), and of no runner token.
    expect(output.token_found).toBe(true);
    expect(output.runner_token_found).toBe(false);
    expect(output.statuses).toEqual({
      replace_bin: 400,
      replan_victim: 403,
      victim_secret: 403,
      scoped_secret: 403,
      list_secrets: 403,
      own_run: 200,
      victim_run: 403,
      claim: 403,
    });
    // Secrets it could read leave the run masked, encoded or not.
    expect(output.leak).toEqual({ raw: '***', b64: '***', url: '***%26' });
    const logText = await nodeLog(stack.logs, hostileRun, 'attack');
    expect(logText).toContain('leak *** ***');
    for (const leak of [HOSTILE_OK, Buffer.from(HOSTILE_OK).toString('base64').slice(0, 16)])
      expect(JSON.stringify([hostile, logText])).not.toContain(leak);

    // Once the node has finished, its (unexpired) token reads no secret any more.
    const stolen = readFileSync(drop, 'utf8');
    const late = await fetch(`${stack.urls.controller}/api/v1/runs/${hostileRun}/secrets/HOSTILE_OK`, {
      headers: { authorization: `Bearer ${stolen}` },
    });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('lease_lost');

    // The victim's compiled pipeline is untouched and its next run executes its own code.
    const bin = await stack.cache.getBin(digest);
    expect(bin && bundleDigest(bin)).toBe(digest);
    const second = await waitForRun(stack.controller, await trigger('victim'));
    expect(second.run.status).toBe('success');
    expect(nodeOf(second, 'deploy').output).toEqual({ code: 'victim', key_length: DEPLOY_KEY.length });
  });

  it('a fork pull request run gets no secrets, and the run from the repository itself does', async () => {
    const git = { repo_url: 'https://github.com/mallory/app.git', branch: 'main', fork: true };
    const fork = await waitForRun(stack.controller, await trigger('victim', { git }));
    expect(fork.run.git?.fork).toBe(true);
    expect(fork.run.status).toBe('failed');
    const deploy = nodeOf(fork, 'deploy');
    expect(deploy.error).toContain('fork pull request');
    expect(JSON.stringify(fork)).not.toContain(DEPLOY_KEY);

    const own = { repo_url: 'https://github.com/acme/app.git', branch: 'main', fork: false };
    const legit = await waitForRun(stack.controller, await trigger('victim', { git: own }));
    expect(legit.run.status).toBe('success');
    // A runner token (nodes.claim only) reads neither run.
    const runner = new ControllerClient({ baseUrl: stack.urls.controller, token: stack.runnerToken });
    await expect(runner.getRun(legit.run.id)).rejects.toMatchObject({ status: 403 });
  });
});
