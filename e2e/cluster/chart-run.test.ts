import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerClient } from '@sparkwing/client';
import { type FakeKube, memoryCgroupsWritable, startFakeKube } from '@sparkwing/fake-kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { find, type K8sObject, render, umbrellaChart } from '../charts/helm.js';
import { cli, git, helloCopy } from '../suite/lib/helpers.js';
import { freePort, type Proc, repoPath, startProc } from '../suite/lib/procs.js';
import { applySecrets, resolvedEnv, secretValues } from './rendered.js';

const NAMESPACE = 'sparkwing';
const RUNNER_BIN = repoPath('services/runner/bin/sparkwing-runner.js');
const LIMITS_PIPELINES = `import { pipeline } from '@sparkwing/sdk';

export const huge = pipeline((p) => {
  p.job('big', (ctx) => ctx.sh('echo never')).resources({ memory: '512Gi' });
});

export const hog = pipeline((p) => {
  p.job('hog', (ctx) =>
    ctx.exec('node', ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1));']),
  ).resources({ memory: '192Mi' });
});
`;

/**
 * The chart's defaults, run: helm renders charts/sparkwing with no values at all, its Secrets go into the
 * fake API server, and controller, logs and cache start as processes with the environment their rendered
 * Deployments resolve to. Only addresses and paths are replaced (no cluster DNS or volumes here yet):
 * ports, peer URLs → 127.0.0.1, /data → a temp dir, the in-cluster API → the fake's kubeconfig. Runner
 * Jobs are created by the real dispatcher and run by the fake kubelet as `sparkwing-runner worker`.
 */
describe('the rendered chart runs pipelines (defaults only)', () => {
  let dir: string;
  let kube: FakeKube;
  let objects: K8sObject[];
  const procs: Proc[] = [];
  let env: Record<string, string>;
  let adminToken: string;
  let controllerUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sparkwing-chart-run-'));
    // One documented value besides the defaults: controller.extraEnv shortens the Unschedulable grace (5m).
    objects = await render(umbrellaChart, [
      ...['--set', 'controller.extraEnv[0].name=SPARKWING_UNSCHEDULABLE_GRACE'],
      ...['--set', 'controller.extraEnv[0].value=3s'],
    ]);
    kube = await startFakeKube({
      resolveCommand: ({ argv }) =>
        argv[0] === 'sparkwing-runner'
          ? { command: process.execPath, args: [RUNNER_BIN, ...argv.slice(1)] }
          : null,
      maxGraceSeconds: 1,
      // Runner pods run as the uid the Job spec says (10001, as root in CI): HOME and /tmp must be writable.
      runAsUser: true,
    });
    await applySecrets(kube.url, objects, NAMESPACE);
    const secrets = secretValues(objects);
    const rendered = (name: string) => resolvedEnv(find(objects, 'Deployment', name), secrets, NAMESPACE);
    const [controllerPort, logsPort, cachePort] = [await freePort(), await freePort(), await freePort()];
    const url = (port: number) => `http://127.0.0.1:${port}`;
    const peers = {
      SPARKWING_CONTROLLER_URL: url(controllerPort),
      SPARKWING_LOGS_URL: url(logsPort),
      SPARKWING_CACHE_URL: url(cachePort),
    };
    const listening = (port: number) => (r: Record<string, unknown>) =>
      r.msg === 'listening' && Number(r.port) === port;
    const start = async (service: string, deployment: string, port: number, extra = {}) => {
      const serviceEnv = {
        ...rendered(deployment),
        ...peers,
        ...extra,
        HOST: '127.0.0.1',
        PORT: String(port),
        SPARKWING_DATA_DIR: join(dir, service),
      };
      procs.push(
        await startProc(service, [repoPath(`services/${service}/dist/main.js`)], serviceEnv, listening(port)),
      );
    };
    await start('logs', 'sparkwing-logs', logsPort);
    await start('cache', 'sparkwing-cache', cachePort);
    await start('controller', 'sparkwing-controller', controllerPort, {
      KUBECONFIG: kube.writeKubeconfig(join(dir, 'kubeconfig'), NAMESPACE),
      SPARKWING_RUNNER_CONTROLLER_URL: peers.SPARKWING_CONTROLLER_URL,
      SPARKWING_RUNNER_LOGS_URL: peers.SPARKWING_LOGS_URL,
      SPARKWING_RUNNER_CACHE_URL: peers.SPARKWING_CACHE_URL,
      SPARKWING_DISPATCHER_RESYNC_INTERVAL: '1s',
    });
    controllerUrl = peers.SPARKWING_CONTROLLER_URL;
    adminToken = secrets.get('sparkwing-controller-secrets')?.SPARKWING_ADMIN_TOKEN ?? '';
    expect(adminToken).not.toBe('');
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    env = { SPARKWING_CONFIG_DIR: join(work, 'config'), SPARKWING_HOME: join(work, 'home') };
    const added = await cli(
      [
        ...['profile', 'add', 'sim', '--url', peers.SPARKWING_CONTROLLER_URL, '--token', adminToken],
        ...['--cache-url', peers.SPARKWING_CACHE_URL, '--logs-url', peers.SPARKWING_LOGS_URL],
      ],
      work,
      env,
    );
    expect(added.code, added.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop(5_000)));
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('triggers hello from outside: runner Jobs shaped by the chart run it, logs stream back, exit 0', async () => {
    const repo = join(dir, 'work', 'hello');
    await helloCopy(repo);
    const result = await cli(
      ['pipeline', 'trigger', 'hello', '--profile', 'sim', '--follow-logs'],
      repo,
      env,
    );
    const output = `${result.stdout}\n${result.stderr}\n${procs
      .map((p) => p.output())
      .join('\n')
      .slice(-4000)}`;
    expect(result.code, output).toBe(0);
    expect(result.stdout).toMatch(/run success/);
    expect(result.stdout).toMatch(/lint\s+│ lint:/);
    const jobs = (await (await fetch(`${kube.url}/apis/batch/v1/namespaces/${NAMESPACE}/jobs`)).json()) as {
      items: K8sObject[];
    };
    expect(jobs.items.length).toBeGreaterThanOrEqual(5);
    for (const job of jobs.items) {
      const pod = job.spec.template.spec;
      const names = pod.containers[0].env.map((e: { name: string }) => e.name);
      // Least privilege: a Job carries only its node token; the run succeeded without a runner token.
      expect(names).toContain('SPARKWING_AGENT_TOKEN');
      expect(names).not.toContain('SPARKWING_RUNNER_TOKEN');
      expect(pod.securityContext.runAsUser).toBe(10001);
    }
  });

  it('answers runs logs, runs list -o json and runs prune from outside', async () => {
    const work = join(dir, 'work');
    const listed = await cli(['runs', 'list', '-o', 'json', '--profile', 'sim'], work, env);
    expect(listed.code, listed.stderr).toBe(0);
    const page = JSON.parse(listed.stdout) as {
      runs: Array<{ id: string; pipeline: string; status: string }>;
    };
    const hello = page.runs.find((r) => r.pipeline === 'hello');
    expect(hello?.status).toBe('success');
    const logs = await cli(['runs', 'logs', hello!.id, '--node', 'lint', '--profile', 'sim'], work, env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/lint:/);
    const pruned = await cli(['runs', 'prune', '--run', hello!.id, '--profile', 'sim'], work, env);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/1 run\(s\) deleted/);
    const gone = await cli(['runs', 'status', hello!.id, '--profile', 'sim'], work, env);
    expect(gone.code).toBe(1);
  });

  it('fails a job larger than any node unschedulable after the grace, and an OOM-killed job oom_killed', async () => {
    const repo = join(dir, 'work', 'limits');
    mkdirSync(join(repo, '.sparkwing'), { recursive: true });
    writeFileSync(
      join(repo, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - name: huge\n    entrypoint: huge\n  - name: hog\n    entrypoint: hog\n',
    );
    writeFileSync(join(repo, '.sparkwing', 'limits.ts'), LIMITS_PIPELINES);
    await git(repo, 'init', '-q', '-b', 'main');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', 'limits');
    const huge = await cli(['pipeline', 'trigger', 'huge', '--profile', 'sim', '-o', 'json'], repo, env);
    expect(huge.code, `${huge.stdout}\n${huge.stderr}`).toBe(1);
    const hugeEnd = JSON.parse(huge.stdout.trim().split('\n').at(-1)!);
    const admin = new ControllerClient({ baseUrl: controllerUrl, token: adminToken });
    const bigNode = (await admin.getRun(hugeEnd.run_id)).nodes.find((n) => n.id === 'big')!;
    expect(bigNode.result?.failure_reason).toBe('unschedulable');
    expect(bigNode.error).toContain('Insufficient memory');
    if (!memoryCgroupsWritable()) return; // the OOM half needs a writable memory cgroup
    const hog = await cli(['pipeline', 'trigger', 'hog', '--profile', 'sim', '-o', 'json'], repo, env);
    expect(hog.code, `${hog.stdout}\n${hog.stderr}`).toBe(1);
    const hogEnd = JSON.parse(hog.stdout.trim().split('\n').at(-1)!);
    const hogNode = (await admin.getRun(hogEnd.run_id)).nodes.find((n) => n.id === 'hog')!;
    expect(hogNode.result).toMatchObject({ failure_reason: 'oom_killed', exit_code: 137 });
    expect(hogNode.death_log ?? '').not.toBe('');
  });

  it('runs broken to its failure: exit 1 and the reason', async () => {
    const repo = join(dir, 'work', 'hello');
    const result = await cli(
      ['pipeline', 'trigger', 'broken', '--profile', 'sim', '--follow-logs'],
      repo,
      env,
    );
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.stdout).toMatch(/run failed/);
    // The reason is the job's own: its exit code and stderr, streamed back from the runner pod.
    expect(result.stdout).toMatch(/✗ test \(exit code 3\)/);
    expect(result.stdout).toContain('FAIL greet: expected hello, got goodbye');
  });
});
