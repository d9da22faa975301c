import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CacheClient, ControllerClient } from '@sparkwing/client';
import { type CommandResolverInput, type FakeKube, startFakeKube } from '@sparkwing/fake-kube';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NAMESPACE, REPO_ROOT, sample, until } from './harness.js';
import { freePort, type Proc, startService } from './processes.js';

// Real container builds: the DinD sidecar's `dockerd` runs as `podman system service` (Docker Engine API)
// on the checked-out PVC, the registry is the CNCF distribution `docker-registry`, the CLI is `docker`.
const RUNNER_BIN = join(REPO_ROOT, 'services', 'runner', 'bin', 'sparkwing-runner.js');
const EXAMPLE = join(REPO_ROOT, 'examples', 'docker-build');
const REGISTRY_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
  );
}

let dir: string;
let kube: FakeKube;
let registry: ChildProcess;
let registryAddr: string;
let controller: Proc;
let logs: Proc;
let cache: Proc;
let admin: ControllerClient;
const adminToken = `swt_admin_${randomBytes(16).toString('hex')}`;

/** Socket of a pod's daemon: short (sun_path is ~108 bytes) and the same for the sidecar and the runner. */
const socketOf = (input: CommandResolverInput) => join(dir, `${input.pod.metadata.uid!.slice(0, 8)}.sock`);

function resolve(input: CommandResolverInput) {
  const { argv, pod } = input;
  if (argv[0] === 'sparkwing-runner') {
    return {
      command: process.execPath,
      args: [RUNNER_BIN, ...argv.slice(1)],
      env: { DOCKER_HOST: `unix://${socketOf(input)}` },
    };
  }
  if (argv[0] !== 'dockerd') return null;
  // /var/lib/docker is the dind-data volume: the warm PVC's directory, or an emptyDir when cold.
  const data = pod.spec.volumes?.find((v) => v.name === 'dind-data');
  const claim = data?.persistentVolumeClaim?.claimName;
  const root = claim
    ? kube.cluster.claimPath(pod.metadata.namespace!, claim)
    : join(input.sandboxDir, 'volumes', 'dind-data');
  mkdirSync(root, { recursive: true });
  return {
    // Its stderr is kept for the failure report (a pod's sidecar log is not served by fake-kube).
    command: '/bin/sh',
    args: [
      '-c',
      `exec podman "$@" 2>>${join(dir, 'podman.log')}`,
      'podman',
      // vfs: no overlay mounts left behind on the PVC directory when the daemon stops.
      '--storage-driver=vfs',
      '--root',
      join(root, 'storage'),
      '--runroot',
      // podman records its runroot (at most 50 characters) with its storage: one per volume.
      join(dir, `rr-${(claim ?? pod.metadata.uid!).slice(-8)}`),
      '--tmpdir',
      join(root, 'tmp'),
      'system',
      'service',
      '--time=0',
      `unix://${socketOf(input)}`,
    ],
    env: {
      CONTAINERS_CONF: join(dir, 'containers.conf'),
      CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    },
  };
}

beforeAll(async () => {
  // Short: podman's socket path lives here.
  dir = mkdtempSync('/tmp/swd-');
  const registryPort = await freePort();
  registryAddr = `127.0.0.1:${registryPort}`;
  writeFileSync(
    join(dir, 'registry.yml'),
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'registry')}\nhttp:\n  addr: ${registryAddr}\n`,
  );
  // No cgroup delegation or network namespaces here: runc, cgroupfs, host network (as scripts/images does).
  writeFileSync(
    join(dir, 'containers.conf'),
    '[containers]\ncgroups = "disabled"\nnetns = "host"\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\nevents_logger = "none"\n',
  );
  writeFileSync(
    join(dir, 'registries.conf'),
    `[[registry]]\nlocation = "${registryAddr}"\ninsecure = true\n`,
  );
  registry = spawn('docker-registry', ['serve', join(dir, 'registry.yml')], { stdio: 'ignore' });
  await until(async () => (await fetch(`http://${registryAddr}/v2/`).catch(() => null))?.ok, 20_000);

  kube = await startFakeKube({ resolveCommand: resolve, maxGraceSeconds: 5 });
  const kubeconfig = kube.writeKubeconfig(join(dir, 'kubeconfig'), NAMESPACE);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
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
    SPARKWING_LEASE_DURATION: '20s',
    SPARKWING_SWEEP_INTERVAL: '1s',
    SPARKWING_DISPATCHER: 'kubernetes',
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: NAMESPACE,
    SPARKWING_RUNNER_IMAGE: 'registry.test/sparkwing/runner:0.1.0',
    SPARKWING_RUNNER_CONTROLLER_URL: controllerUrl,
    SPARKWING_RUNNER_LOGS_URL: logs.url,
    SPARKWING_RUNNER_CACHE_URL: cache.url,
    SPARKWING_DISPATCHER_RESYNC_INTERVAL: '500ms',
    SPARKWING_RUNNER_TOKEN_SECRET: 'sparkwing-runner-token',
    SPARKWING_RUNNER_DOCKER: 'sidecar',
    SPARKWING_REGISTRY: registryAddr,
    SPARKWING_REGISTRY_SECRET: 'registry-creds',
    // One PVC: the second run's build gets the PVC the first one filled.
    SPARKWING_PVC_POOLS: JSON.stringify([{ name: 'docker', min: 1, max: 1, size: '5Gi', wait: '60s' }]),
  });
  admin = new ControllerClient({ baseUrl: controller.url, token: adminToken });
  const { token } = await admin.createToken({
    name: 'runner',
    kind: 'runner',
    scopes: ['nodes.claim', 'runs.read'],
  });
  await core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: { metadata: { name: 'sparkwing-runner-token' }, stringData: { token } },
  });
  // The registry accepts anonymous pushes; the credentials prove they reach the CLI and stay masked.
  await core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: {
      metadata: { name: 'registry-creds' },
      stringData: { username: 'ci', password: REGISTRY_PASSWORD },
    },
  });
}, 120_000);

afterAll(async () => {
  registry?.kill('SIGTERM');
  await Promise.all([controller?.stop(), logs?.stop(), cache?.stop()]);
  await kube?.close();
  // podman leaves root-owned overlay state under the run dirs; it is all below the temp dir.
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function runExample(): Promise<{ runId: string; build: Record<string, unknown>; log: string }> {
  const repo = join(dir, `repo-${randomBytes(3).toString('hex')}`);
  cpSync(EXAMPLE, repo, { recursive: true });
  const cacheClient = new CacheClient({ baseUrl: cache.url, token: adminToken });
  const { upload_ref } = await cacheClient.uploadTree({ cwd: repo, files: listFiles(repo) });
  const { run_id } = await admin.trigger({ pipeline: 'image', upload_ref });
  const detail = await until(async () => {
    const d = await admin.getRun(run_id);
    return ['success', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
  }, 150_000);
  const log = await (
    await fetch(`${logs.url}/api/v1/logs/${run_id}/build`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
  ).text();
  if (detail.run.status !== 'success') {
    console.log(readFileSync(join(dir, 'podman.log'), 'utf8'));
    console.log(
      detail.nodes.map((n) => `${n.id}: ${n.status} ${n.error ?? ''}\n${n.death_log ?? ''}`).join('\n'),
      log,
    );
  }
  expect(detail.nodes.map((n) => [n.id, n.status])).toEqual([
    ['_plan', 'success'],
    ['build', 'success'],
    ['verify', 'success'],
  ]);
  const build = detail.nodes.find((n) => n.id === 'build')!.output as Record<string, unknown>;
  return { runId: run_id, build, log };
}

describe('container builds through DOCKER_HOST with a warm PVC pool', () => {
  it('builds and pushes for real, a dependent pulls by digest, and the second build reuses the warm cache', async () => {
    const first = await runExample();
    expect(first.build.ref).toBe(`${registryAddr}/examples/hello-image:run-${first.runId}`);
    expect(first.build.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The registry serves the pushed manifest under that digest.
    const manifest = await fetch(
      `http://${registryAddr}/v2/examples/hello-image/manifests/${first.build.digest}`,
      {
        headers: {
          accept:
            'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
        },
      },
    );
    expect(manifest.status).toBe(200);
    expect(first.build.cacheHits).toBe(0);
    expect(first.log).toContain(`registry credentials of ci set for ${registryAddr}`);
    expect(first.log).not.toContain(REGISTRY_PASSWORD);
    const verifyLog = await (
      await fetch(`${logs.url}/api/v1/logs/${first.runId}/verify`, {
        headers: { authorization: `Bearer ${adminToken}` },
      })
    ).text();
    expect(verifyLog).toContain(`pulled ${first.build.pinned}`);

    const second = await runExample();
    // Every step after FROM came from the PVC's layer cache, the slow RUN included.
    expect(second.log).toContain('Using cache');
    expect(second.build.cacheHits).toBe(Number(second.build.steps) - 1);
    console.log(
      `docker build on a cold PVC: ${first.build.buildMs} ms; on the warm PVC: ${second.build.buildMs} ms ` +
        `(${second.build.cacheHits}/${second.build.steps} steps cached; shared machine)`,
    );
    const metrics = await (await fetch(`${controller.url}/metrics`)).text();
    expect(sample(metrics, 'sparkwing_pvc_pool_checkouts_total', { pool: 'docker', outcome: 'warm' })).toBe(
      2,
    );
    expect(sample(metrics, 'sparkwing_pvc_pool_size', { pool: 'docker', state: 'available' })).toBe(1);
  }, 240_000);
});
