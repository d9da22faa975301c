import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CacheClient, ControllerClient } from '@sparkwing/client';
import { type FakeKube, memoryCgroupsWritable, startFakeKube } from '@sparkwing/fake-kube';
import { BatchV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE, REPO_ROOT, sample, until } from './harness.js';
import { freePort, type Proc, startService } from './processes.js';

const RUNNER_BIN = join(REPO_ROOT, 'services', 'runner', 'bin', 'sparkwing-runner.js');
const PIPELINE = `import { pipeline } from '@sparkwing/sdk';

export const ci = pipeline((p) => {
  const a = p.job('a', (ctx) => ctx.sh('echo building a'));
  const b = p.job('b', (ctx) => ctx.sh('echo testing b')).needs(a);
  p.job('c', (ctx) => ctx.sh('echo packaging c')).needs(a, b);
});

export const hog = pipeline((p) => {
  p.job('hog', (ctx) =>
    ctx.exec('node', ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1));']),
  ).resources({ memory: '192Mi' });
});
`;

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

let dir: string;
let kube: FakeKube;
let controller: Proc;
let logs: Proc;
let cache: Proc;
let admin: ControllerClient;
let batch: BatchV1Api;
const adminToken = `swt_admin_${randomBytes(16).toString('hex')}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sparkwing-k8s-e2e-'));
  kube = await startFakeKube({
    // The runner image's `sparkwing-runner` is this checkout's runner.
    resolveCommand: ({ argv }) =>
      argv[0] === 'sparkwing-runner'
        ? { command: process.execPath, args: [RUNNER_BIN, ...argv.slice(1)] }
        : null,
    maxGraceSeconds: 1,
  });
  const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), NAMESPACE);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  batch = kc.makeApiClient(BatchV1Api);
  const signingKey = randomBytes(24).toString('hex');
  const port = await freePort();
  const controllerUrl = `http://127.0.0.1:${port}`;
  const shared = {
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_CONTROLLER_URL: controllerUrl,
    PORT: '0',
    HOST: '127.0.0.1',
  };
  logs = await startService('services/logs/dist/main.js', {
    ...shared,
    SPARKWING_DATA_DIR: join(dir, 'logs'),
  });
  cache = await startService('services/cache/dist/main.js', {
    ...shared,
    SPARKWING_DATA_DIR: join(dir, 'cache'),
  });
  controller = await startService('services/controller/dist/main.js', {
    PORT: String(port),
    SPARKWING_DATA_DIR: join(dir, 'controller'),
    SPARKWING_ADMIN_TOKEN: adminToken,
    SPARKWING_SIGNING_KEY: signingKey,
    SPARKWING_LEASE_DURATION: '10s',
    SPARKWING_SWEEP_INTERVAL: '1s',
    SPARKWING_DISPATCHER: 'kubernetes',
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: NAMESPACE,
    SPARKWING_RUNNER_IMAGE: 'registry.test/sparkwing/runner:0.1.0',
    SPARKWING_RUNNER_CONTROLLER_URL: controllerUrl,
    SPARKWING_RUNNER_LOGS_URL: logs.url,
    SPARKWING_RUNNER_CACHE_URL: cache.url,
    SPARKWING_DISPATCHER_RESYNC_INTERVAL: '500ms',
  });
  admin = new ControllerClient({ baseUrl: controller.url, token: adminToken });
  // No runner token in the pods: a worker reads its run and its dependencies' outputs with its node token.
}, 90_000);

afterAll(async () => {
  await Promise.all([controller?.stop(), logs?.stop(), cache?.stop()]);
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('controller process with SPARKWING_DISPATCHER=kubernetes and the real runner worker', () => {
  it('runs a multi-node pipeline, one Job per node, with output in the logs service', async () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, '.sparkwing'), { recursive: true });
    writeFileSync(
      join(repo, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - name: ci\n    entrypoint: ci\n  - name: hog\n    entrypoint: hog\n',
    );
    writeFileSync(join(repo, '.sparkwing', 'ci.ts'), PIPELINE);
    const cacheClient = new CacheClient({ baseUrl: cache.url, token: adminToken });
    const { upload_ref } = await cacheClient.uploadTree({ cwd: repo, files: listFiles(repo) });
    const { run_id } = await admin.trigger({ pipeline: 'ci', upload_ref });
    const detail = await until(async () => {
      const d = await admin.getRun(run_id);
      return ['success', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
    }, 90_000);
    if (detail.run.status !== 'success') console.log(detail.nodes.map((n) => n.death_log).join('\n'));
    expect(detail.nodes.map((n) => [n.id, n.status, n.error])).toEqual([
      ['_plan', 'success', null],
      ['a', 'success', null],
      ['b', 'success', null],
      ['c', 'success', null],
    ]);
    expect(detail.run.status).toBe('success');
    const jobs = await batch.listNamespacedJob({
      namespace: NAMESPACE,
      labelSelector: `sparkwing.dev/run-id=${run_id}`,
    });
    expect(jobs.items.map((j) => j.metadata?.annotations?.['sparkwing.dev/node-id']).sort()).toEqual([
      '_plan',
      'a',
      'b',
      'c',
    ]);
    const log = await fetch(`${logs.url}/api/v1/logs/${run_id}/b`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(await log.text()).toContain('testing b');
    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    expect(
      sample(metrics, 'sparkwing_runner_lifecycle_transitions_total', {
        operation: 'spawn',
        outcome: 'success',
      }),
    ).toBe(4);
  });

  it.runIf(memoryCgroupsWritable())('fails a job that exceeds its memory limit oom_killed', async () => {
    const cacheClient = new CacheClient({ baseUrl: cache.url, token: adminToken });
    const { upload_ref } = await cacheClient.uploadTree({
      cwd: join(dir, 'repo'),
      files: listFiles(join(dir, 'repo')),
    });
    const { run_id } = await admin.trigger({ pipeline: 'hog', upload_ref });
    const detail = await until(async () => {
      const d = await admin.getRun(run_id);
      return ['success', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
    }, 90_000);
    const node = detail.nodes.find((n) => n.id === 'hog')!;
    expect(node.result?.failure_reason).toBe('oom_killed');
    expect(node.result?.exit_code).toBe(137);
  });
});
