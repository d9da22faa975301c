import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cli,
  git,
  gitCopy,
  helloCopy,
  metricValue,
  nodeLog,
  nodeOf,
  scrape,
  waitForRun,
} from './lib/helpers.js';
import { repoPath } from './lib/procs.js';
import { type Stack, startStack } from './lib/stack.js';

const FIXTURE = repoPath('e2e/suite/fixtures/scenarios');

// Scenarios 1, 2 and 5: `sparkwing pipeline trigger` with code upload, a signed push webhook, `runs prune`.
describe('code reaches runners: CLI trigger, push webhook, prune', () => {
  let stack: Stack;
  let work: string;
  let env: Record<string, string>;
  const runIds: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    work = join(stack.dir, 'work');
    mkdirSync(work, { recursive: true });
    env = { SPARKWING_CONFIG_DIR: join(work, 'config'), SPARKWING_HOME: join(work, 'home') };
    const added = await cli(
      ['profile', 'add', 'e2e', '--url', stack.urls.controller, '--token', stack.adminToken, '--default'],
      work,
      env,
    );
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  function setMarker(repo: string, marker: string) {
    const file = join(repo, '.sparkwing', 'pipelines.ts');
    const source = readFileSync(file, 'utf8').replace(/echo "lint: [^"]*"/, `echo "lint: ${marker}"`);
    writeFileSync(file, source);
  }

  it('1: pipeline trigger runs the uncommitted working tree, and a second trigger uploads only a delta', async () => {
    const repo = join(work, 'hello');
    await helloCopy(repo);
    setMarker(repo, 'uncommitted-change-1');
    const runsBefore = metricValue(await scrape(`${stack.urls.controller}/metrics`), 'sparkwing_runs_total', {
      pipeline: 'hello',
      status: 'success',
    });
    const logsBefore = metricValue(
      await scrape(`${stack.urls.logs}/metrics`),
      'sparkwing_logs_appended_records_total',
    );

    const first = await cli(['pipeline', 'trigger', 'hello', '--profile', 'e2e', '--follow-logs'], repo, env);
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stderr).toMatch(/uploaded the full tree/);
    expect(first.stdout).toMatch(/run success/);
    expect(first.stdout).toMatch(/lint\s+│ lint: uncommitted-change-1/);
    const firstId = /(run_[a-z0-9]+)/.exec(first.stdout)![1]!;
    runIds.push(firstId);
    const detail = await stack.controller.getRun(firstId);
    expect(detail.run.status).toBe('success');
    expect(detail.run.upload_ref).toMatch(/^up_/);
    for (const id of ['lint', 'test', 'build', 'smoke']) expect(nodeOf(detail, id).status).toBe('success');
    expect(await nodeLog(stack.logs, firstId, 'lint')).toContain('lint: uncommitted-change-1');

    setMarker(repo, 'uncommitted-change-2');
    writeFileSync(join(repo, 'NOTES.md'), 'untracked, not ignored\n');
    const second = await cli(['pipeline', 'trigger', 'hello', '-o', 'json'], repo, env);
    expect(second.code, second.stderr).toBe(0);
    const events = second.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const upload = events.find((event) => event.event === 'uploaded');
    expect(upload.kind).toBe('delta-upload');
    expect(upload.base).toBe(detail.run.upload_ref);
    expect(upload.files_sent).toBe(2);
    expect(upload.tree_files).toBeGreaterThan(upload.files_sent);
    const finished = events.find((event) => event.event === 'run_finished');
    expect(finished.status).toBe('success');
    runIds.push(finished.run_id);
    expect(await nodeLog(stack.logs, finished.run_id, 'lint')).toContain('lint: uncommitted-change-2');
    const secondDetail = await stack.controller.getRun(finished.run_id);
    expect(secondDetail.run.upload_ref).not.toBe(detail.run.upload_ref);

    // The web UI reaches the controller through the URL in its environment.
    const web = (await (await fetch(`${stack.urls.web}/api/health`)).json()) as { status: string };
    expect(web.status).toBe('ok');

    const controllerMetrics = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      metricValue(controllerMetrics, 'sparkwing_runs_total', { pipeline: 'hello', status: 'success' }),
    ).toBe(runsBefore + 2);
    expect(
      metricValue(await scrape(`${stack.urls.logs}/metrics`), 'sparkwing_logs_appended_records_total'),
    ).toBeGreaterThan(logsBefore);
  });

  it('2: a signed GitHub push for a mirrored repository builds the pushed sha; a bad signature is refused', async () => {
    const upstream = join(work, 'upstream.git');
    const clone = join(work, 'pushed');
    await helloCopy(clone);
    await git(work, 'init', '-q', '--bare', '-b', 'main', upstream);
    await git(clone, 'remote', 'add', 'origin', upstream);
    await git(clone, 'push', '-q', 'origin', 'main');
    await stack.cache.registerRepo('hello', upstream);
    setMarker(clone, 'pushed-commit');
    await git(clone, 'commit', '-q', '-am', 'change the lint line');
    await git(clone, 'push', '-q', 'origin', 'main');
    const sha = await git(clone, 'rev-parse', 'HEAD');

    const body = JSON.stringify({
      ref: 'refs/heads/main',
      after: sha,
      deleted: false,
      repository: { clone_url: upstream, full_name: 'e2e/hello' },
      sender: { login: 'e2e' },
      pusher: { name: 'e2e' },
      head_commit: { id: sha },
    });
    const send = (signature: string) =>
      fetch(`${stack.urls.controller}/webhooks/github/hello`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': signature,
        },
        body,
      });
    const metricsBefore = await scrape(`${stack.urls.controller}/metrics`);
    const bad = await send(`sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`);
    expect(bad.status).toBe(401);
    const good = await send(`sha256=${createHmac('sha256', stack.webhookSecret).update(body).digest('hex')}`);
    expect(good.status).toBe(202);
    const { run_id: runId } = (await good.json()) as { run_id: string };
    runIds.push(runId);
    const detail = await waitForRun(stack.controller, runId);
    expect(detail.run.status).toBe('success');
    expect(detail.run.git).toMatchObject({ repo_url: upstream, branch: 'main', sha });
    expect(detail.run.trigger.kind).toBe('webhook');
    expect(await nodeLog(stack.logs, runId, 'lint')).toContain('lint: pushed-commit');
    const metricsAfter = await scrape(`${stack.urls.controller}/metrics`);
    const delta = (labels: Record<string, string>) =>
      metricValue(metricsAfter, 'sparkwing_webhook_deliveries_total', labels) -
      metricValue(metricsBefore, 'sparkwing_webhook_deliveries_total', labels);
    expect(delta({ outcome: 'unauthorized' })).toBe(1);
    expect(delta({ event: 'push', outcome: 'triggered' })).toBe(1);
  });

  it('5: runs prune deletes finished runs with their metrics and logs (dry run first)', async () => {
    // The fixture's sparkwing.yaml sets defaults.profile: e2e, so no --profile is needed to trigger.
    const repo = join(work, 'scenarios');
    await gitCopy(FIXTURE, repo);
    const triggered = await cli(
      ['pipeline', 'trigger', 'slow', '--arg', 'seconds=3', '-o', 'json'],
      repo,
      env,
    );
    expect(triggered.code, triggered.stderr).toBe(0);
    const victim = JSON.parse(triggered.stdout.trim().split('\n').at(-1)!).run_id as string;
    const kept = runIds[0]!;
    expect((await stack.controller.getMetrics(victim, 'work')).points.length).toBeGreaterThan(0);
    expect(await nodeLog(stack.logs, victim, 'work')).toContain('work finished');

    const dry = await cli(
      ['runs', 'prune', '--run', victim, '--dry-run', '--profile', 'e2e', '-o', 'json'],
      work,
      env,
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).runs).toEqual([
      expect.objectContaining({ run_id: victim, deleted: false }),
    ]);
    expect((await stack.controller.getRun(victim)).run.id).toBe(victim);

    const deletes = async () =>
      metricValue(await scrape(`${stack.urls.controller}/metrics`), 'sparkwing_http_requests_total', {
        method: 'DELETE',
      });
    const before = await deletes();
    const pruned = await cli(['runs', 'prune', '--run', victim, '--profile', 'e2e'], work, env);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/1 run\(s\) deleted/);
    await expect(stack.controller.getRun(victim)).rejects.toMatchObject({ status: 404 });
    const points = await stack.controller.getMetrics(victim, 'work').then(
      (answer) => answer.points,
      () => [],
    );
    expect(points).toEqual([]);
    expect(await stack.logs.read(victim, 'work').catch(() => [])).toEqual([]);
    expect((await stack.controller.getRun(kept)).run.id).toBe(kept);
    expect(await deletes()).toBe(before + 1);

    const unknown = await cli(['runs', 'status', victim, '--profile', 'e2e'], work, env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`unknown run "${victim}"`);
  });
});
