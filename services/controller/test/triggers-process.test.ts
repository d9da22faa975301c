import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signGithubBody } from '../src/index.js';
import { freePort, type Proc, startService } from './kubernetes/processes.js';
import { type RunningController, startController } from './process-helpers.js';
import { type FakeGithub, startFakeGithub } from './triggers/fake-github.js';
import { atOrigin, fixture, Origin } from './triggers/stack.js';

const ADMIN = 'swt_process-trigger-admin-0123456789';
const SECRET = 'process-trigger-webhook-secret';
const root = mkdtempSync(join(tmpdir(), 'sparkwing-trigger-proc-'));
let cache: Proc | undefined;
let controller: RunningController | undefined;
let github: FakeGithub | undefined;

afterAll(async () => {
  await controller?.stop();
  await cache?.stop();
  await github?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('controller process: GitHub webhook → cache mirror → run → commit status', () => {
  it('wires the settings of docs/triggers.md end to end', async () => {
    const origin = new Origin(root);
    const sha = origin.commit({
      '.sparkwing/sparkwing.yaml': 'pipelines:\n  - name: ci\n    entrypoint: ci\n    on:\n      push: {}\n',
    });
    const port = await freePort();
    github = await startFakeGithub();
    cache = await startService('services/cache/dist/main.js', {
      PORT: '0',
      HOST: '127.0.0.1',
      HOME: root,
      SPARKWING_DATA_DIR: join(root, 'cache'),
      SPARKWING_CONTROLLER_URL: `http://127.0.0.1:${port}`,
      SPARKWING_FETCH_INTERVAL: '1h',
      // The test's bare repository is a local path: allow-listed, as docs/cache.md says an operator would.
      SPARKWING_MIRROR_ALLOWLIST: root,
    });
    const dataDir = join(root, 'controller');
    controller = await startController({
      PORT: String(port),
      SPARKWING_DATA_DIR: dataDir,
      SPARKWING_ADMIN_TOKEN: ADMIN,
      GITHUB_WEBHOOK_SECRET: SECRET,
      SPARKWING_CACHE_URL: cache.url,
      GITHUB_TOKEN: 'ghp_process-test',
      GITHUB_API_URL: github.url,
      SPARKWING_PUBLIC_URL: 'https://ci.example.com',
    });
    const payload = atOrigin(fixture('push'), origin);
    Object.assign(payload, { before: '0'.repeat(40), after: sha });
    const raw = JSON.stringify(payload);
    const res = await fetch(`${controller.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'proc-1',
        'x-hub-signature-256': signGithubBody(SECRET, raw),
      },
      body: raw,
    });
    expect(res.status).toBe(202);
    const { run_ids } = await res.json();
    expect(run_ids).toHaveLength(1);
    await expect
      .poll(() => github!.calls.filter((c) => c.path.includes('/statuses/')).length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const [call] = github.calls;
    expect(call).toMatchObject({
      path: `/repos/acme/app/statuses/${sha}`,
      authorization: 'Bearer ghp_process-test',
      body: {
        state: 'pending',
        context: 'sparkwing/ci',
        target_url: `https://ci.example.com/runs/${run_ids[0]}`,
      },
    });
    // The controller's own cache token lives in the data dir, readable by it alone.
    expect(statSync(join(dataDir, 'cache-token')).mode & 0o777).toBe(0o600);
  });
});
