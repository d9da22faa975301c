import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CacheClient, ControllerClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, startOtlpReceiver } from '@sparkwing/telemetry/testing';
import { readMetricsReference } from './lib/metrics-reference.js';
import { repoPath } from './lib/paths.js';
import { freePort, type PrometheusHandle, startPrometheus } from './lib/prometheus.js';
import { dashboardExpressions } from './lib/promql.js';
import {
  countSeries,
  exposedFamilies,
  type ServiceProcess,
  startRunner,
  startService,
} from './lib/services.js';

/** Panels fed by runs through controller, logs, cache, web and a real runner (no Kubernetes here). */
const MAIN_PANELS = [
  'Queued nodes',
  'Running nodes',
  'Runner slots busy',
  'Runner slots idle',
  'Active runners',
  'Oldest ready node',
  'Nodes enqueued / s',
  'Nodes completed / s by outcome',
  'Runs finished / s by status',
  'Webhook deliveries / s',
  'Queue wait (ready → claimed)',
  'Queue → running',
  'Run duration',
  'Queue wait heatmap',
  'Node failures / s by failure_reason',
  'Runner supply and queue depth',
  'Claim requests / s by outcome',
  'Claim latency (claimed only)',
  'HTTP requests / s by service',
  'HTTP p95 latency by service',
  'Logs ingest',
  'Logs fsync and append latency',
  'Live log streams',
  'Cache hit ratio by store',
];

const SERIES_BUDGET = 1_000;
const PIPELINE = `import { pipeline } from '@sparkwing/sdk';

export const ci = pipeline((p) => {
  const build = p.job('build', (ctx) => ctx.sh('echo building'));
  p.job('test', (ctx) => ctx.sh('echo testing')).needs(build);
});
`;

function listFiles(root: string, base = root): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(root, e.name), base) : [relative(base, join(root, e.name))],
  );
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const traceIdForRun = (runId: string) => createHash('sha256').update(runId).digest('hex').slice(0, 32);

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('live: a run through real services, scraped by a real Prometheus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-obs-'));
  const adminToken = `swa_${randomBytes(24).toString('hex')}`;
  const signingKey = randomBytes(32).toString('hex');
  const webhookSecret = randomBytes(16).toString('hex');
  const services: Record<string, ServiceProcess> = {};
  let prom: PrometheusHandle;
  let otlp: OtlpReceiver;
  let runId = '';
  let pipelineRunId = '';

  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    const common = {
      SPARKWING_SIGNING_KEY: signingKey,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      LOG_LEVEL: 'warn',
    };
    services.controller = await startService('controller', {
      ...common,
      SPARKWING_DATA_DIR: join(dir, 'controller'),
      SPARKWING_ADMIN_TOKEN: adminToken,
      SPARKWING_SECRET_KEY: randomBytes(16).toString('hex'),
      GITHUB_WEBHOOK_SECRET: webhookSecret,
      SPARKWING_SWEEP_INTERVAL: '500ms',
      LOG_LEVEL: 'info',
    });
    const controllerUrl = services.controller.url;
    services.logs = await startService('logs', {
      ...common,
      LOG_LEVEL: 'info',
      SPARKWING_DATA_DIR: join(dir, 'logs'),
      SPARKWING_CONTROLLER_URL: controllerUrl,
    });
    services.cache = await startService('cache', {
      ...common,
      LOG_LEVEL: 'info',
      SPARKWING_DATA_DIR: join(dir, 'cache'),
      SPARKWING_CONTROLLER_URL: controllerUrl,
      ...Object.fromEntries(
        ['NPM', 'PYPI', 'GOLANG', 'RUBYGEMS', 'ALPINE'].map((r) => [
          `SPARKWING_PROXY_UPSTREAM_${r}`,
          'http://127.0.0.1:9',
        ]),
      ),
    });
    services.web = await startService('web', {
      ...common,
      LOG_LEVEL: 'info',
      SPARKWING_CONTROLLER_URL: controllerUrl,
      SPARKWING_LOGS_URL: services.logs.url,
      SPARKWING_SESSION_SECRET: randomBytes(32).toString('hex'),
    });
    // A warm-up run creates every labelled series before the first scrape, so the measured run moves them.
    await driveRun(controllerUrl);
    const runnerMetricsPort = await freePort();
    prom = await startPrometheus(
      [
        ...Object.values(services).map((s) => ({
          job: `sparkwing-${s.name}`,
          address: `127.0.0.1:${s.port}`,
        })),
        { job: 'sparkwing-runner', address: `127.0.0.1:${runnerMetricsPort}` },
      ],
      [repoPath('docs/prometheus/alerts.yml')],
    );
    // A first scrape of every target before the run, so rates see the counters move.
    await until('every target up', async () => {
      const res = await prom.query('count(up == 1)');
      return res.data?.result[0]?.value?.[1] === '4' ? true : undefined;
    });
    await driveRun(controllerUrl);
    // Started after the hand-driven runs so it never claims their nodes.
    services.runner = await startRunner(
      [
        `--metrics-port=${runnerMetricsPort}`,
        '--runner-id=obs-runner-real',
        `--controller-url=${controllerUrl}`,
        `--logs-url=${services.logs.url}`,
        `--cache-url=${services.cache.url}`,
        `--token=${adminToken}`,
        `--home=${join(dir, 'runner-home')}`,
      ],
      { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, LOG_LEVEL: 'info' },
    );
    pipelineRunId = await runPipeline(controllerUrl);
    await until('three runs and the runner in Prometheus', async () => {
      const runs = await prom.query('sum(sparkwing_runs_total)');
      const up = await prom.query('count(up == 1)');
      return Number(runs.data?.result[0]?.value?.[1] ?? 0) >= 3 && up.data?.result[0]?.value?.[1] === '5'
        ? true
        : undefined;
    });
    await sleep(2_500);
  });

  afterAll(async () => {
    await prom?.stop();
    await Promise.all(Object.values(services).map((s) => s.stop()));
    await otlp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Uploads a two-job pipeline to the cache, triggers it and waits for the real runner to finish it. */
  async function runPipeline(controllerUrl: string): Promise<string> {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, '.sparkwing'), { recursive: true });
    writeFileSync(
      join(repo, '.sparkwing', 'sparkwing.yaml'),
      'pipelines:\n  - name: ci\n    entrypoint: ci\n',
    );
    writeFileSync(join(repo, '.sparkwing', 'ci.ts'), PIPELINE);
    const cache = new CacheClient({ baseUrl: services.cache!.url, token: adminToken });
    const { upload_ref } = await cache.uploadTree({ cwd: repo, files: listFiles(repo) });
    const client = new ControllerClient({ baseUrl: controllerUrl, token: adminToken });
    const { run_id } = await client.trigger({ pipeline: 'ci', upload_ref });
    const detail = await until(
      'the pipeline run to finish',
      async () => {
        const d = await client.getRun(run_id);
        return ['success', 'failed', 'cancelled'].includes(d.run.status) ? d : undefined;
      },
      90_000,
    );
    if (detail.run.status !== 'success')
      throw new Error(`pipeline run ${detail.run.status}:\n${services.runner?.output()}`);
    return run_id;
  }

  /** One blob store hit and one miss on the cache. */
  async function touchCache() {
    const cache = services.cache!.url;
    const auth = { authorization: `Bearer ${adminToken}` };
    // Compiled pipelines are content-addressed: the key is the body's digest.
    const key = `sha256-${createHash('sha256').update('compiled').digest('hex')}`;
    const put = await fetch(`${cache}/bin/${key}`, { method: 'PUT', headers: auth, body: 'compiled' });
    expect(put.status).toBeLessThan(300);
    expect((await fetch(`${cache}/bin/${key}`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${cache}/bin/sha256-${'0'.repeat(64)}`, { headers: auth })).status).toBe(404);
  }

  /** trigger → claim _plan → plan → claim/start/log/finish each node, acting as the runner over HTTP. */
  async function driveRun(controllerUrl: string) {
    const client = new ControllerClient({ baseUrl: controllerUrl, token: adminToken });
    ({ run_id: runId } = await client.trigger({ pipeline: 'observability-demo' }));
    const runnerId = 'obs-runner-1';
    await client.runnerHeartbeat({ runner_id: runnerId, labels: [] });
    const plan = await client.claim({ runner_id: runnerId, wait_ms: 5_000, run_id: runId });
    if (!plan) throw new Error('no _plan node to claim');
    await client.startNode(runId, plan.node.id, plan.lease.token, { runner_id: runnerId });
    await client.plan(
      runId,
      { nodes: [{ id: 'build' }, { id: 'test', needs: ['build'] }] },
      plan.lease.token,
    );
    await client.finishNode(runId, plan.node.id, plan.lease.token, { outcome: 'success', exit_code: 0 });

    const build = await client.claim({ runner_id: runnerId, wait_ms: 5_000, run_id: runId });
    if (!build) throw new Error('build was not claimable');
    await client.startNode(runId, build.node.id, build.lease.token, { runner_id: runnerId });
    const append = await fetch(`${services.logs!.url}/api/v1/logs/${runId}/${build.node.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${build.lease.token}`, 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ msg: 'compiling', client_seq: 1 })}\n${JSON.stringify({ msg: 'done', client_seq: 2 })}\n`,
    });
    expect(append.status).toBe(200);
    await client.postMetrics(runId, build.node.id, build.lease.token, [
      { ts: new Date().toISOString(), cpu_millicores: 250, memory_bytes: 64 * 1024 * 1024 },
    ]);
    await touchCache();
    await client.finishNode(runId, build.node.id, build.lease.token, { outcome: 'success', exit_code: 0 });

    const test = await client.claim({ runner_id: runnerId, wait_ms: 5_000, run_id: runId });
    if (!test) throw new Error('test was not claimable');
    await client.startNode(runId, test.node.id, test.lease.token, { runner_id: runnerId });
    await client.finishNode(runId, test.node.id, test.lease.token, {
      outcome: 'failed',
      failure_reason: 'oom_killed',
      exit_code: 137,
    });

    // One signed webhook ping and one forged delivery.
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    const signature = `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`;
    for (const sig of [signature, 'sha256=00']) {
      await fetch(`${controllerUrl}/webhooks/github/observability-demo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': sig },
        body,
      });
    }
  }

  it('the run ended failed with oom_killed on its test node', async () => {
    const client = new ControllerClient({ baseUrl: services.controller!.url, token: adminToken });
    const detail = await client.getRun(runId);
    expect(detail.run.status).toBe('failed');
    const test = detail.nodes.find((n) => n.id === 'test');
    expect(test?.result?.failure_reason).toBe('oom_killed');
  });

  it("the dashboard's main panels return non-empty results", async () => {
    const byPanel = new Map<string, number>();
    for (const { source, expr } of dashboardExpressions()) {
      const title = /panel "(.+)" [A-Z]$/.exec(source)?.[1] ?? source;
      const res = await prom.query(expr);
      expect(res.status, `${source}: ${res.error}`).toBe('success');
      const nonEmpty = (res.data?.result ?? []).filter((r) => r.value && r.value[1] !== 'NaN').length;
      byPanel.set(title, (byPanel.get(title) ?? 0) + nonEmpty);
    }
    const empty = MAIN_PANELS.filter((title) => !byPanel.get(title));
    expect(empty).toEqual([]);
    for (const title of MAIN_PANELS) expect(byPanel.has(title), title).toBe(true);
  });

  it('every alert rule evaluates cleanly against the live data', async () => {
    const rules = await until('a rule evaluation', async () => {
      const res = (await fetch(`${prom.url}/api/v1/rules`).then((r) => r.json())) as {
        data: { groups: Array<{ rules: unknown[] }> };
      };
      const all = res.data.groups.flatMap((g: { rules: unknown[] }) => g.rules) as Array<{
        name: string;
        health: string;
        lastError?: string;
        lastEvaluation: string;
      }>;
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
    });
    expect(rules.length).toBe(10);
    for (const rule of rules) expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe('ok');
  });

  it('each service stays under the 1,000-series cardinality budget', async () => {
    for (const service of Object.values(services)) {
      const text = await fetch(`${service.url}/metrics`).then((r) => r.text());
      const series = countSeries(text);
      expect(series, service.name).toBeGreaterThan(10);
      expect(series, service.name).toBeLessThan(SERIES_BUDGET);
    }
  });

  it('no run, node, runner or token id appears in any label value', async () => {
    const ids = [runId, pipelineRunId, 'obs-runner-1', 'obs-runner-real', adminToken];
    for (const service of Object.values(services)) {
      const text = await fetch(`${service.url}/metrics`).then((r) => r.text());
      for (const id of ids) expect(text.includes(id), `${service.name} exposes ${id}`).toBe(false);
    }
  });

  it('every family a service exposes is in the metrics reference under that service', async () => {
    const reference = readMetricsReference();
    for (const service of Object.values(services)) {
      const text = await fetch(`${service.url}/metrics`).then((r) => r.text());
      const listed = new Set(reference.filter((r) => r.service === service.name).map((r) => r.name));
      const missing = exposedFamilies(text).filter((name) => !listed.has(name));
      expect(missing, service.name).toEqual([]);
    }
  });

  it('a pipeline run executed by the real runner is one trace across controller, runner and logs', async () => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    const traceId = traceIdForRun(pipelineRunId);
    const spans = await until(
      'spans of the pipeline run',
      async () => {
        const mine = otlp.spans.filter((s) => s.traceId === traceId);
        const from = new Set(mine.map((s) => s.service));
        return ['sparkwing-controller', 'sparkwing-runner', 'sparkwing-logs'].every((x) => from.has(x))
          ? mine
          : undefined;
      },
      10_000,
    ).catch((error) => {
      const seen = otlp.spans.filter((s) => s.traceId === traceId).map((s) => `${s.service} ${s.name}`);
      throw new Error(`${(error as Error).message}; spans in the run's trace:\n${seen.join('\n')}`);
    });
    const names = spans.map((s) => `${s.service} ${s.name}`);
    // The runner's node reports to the controller, seen from both sides, and its log appends.
    expect(names).toContain('sparkwing-runner POST /api/v1/runs/{run_id}/nodes/{node_id}/finish');
    expect(names).toContain('sparkwing-controller POST /api/v1/runs/:id/nodes/:nodeID/finish');
    expect(names.some((n) => /^sparkwing-logs POST \/api\/v1\/logs\/:\w+\/:\w+$/.test(n))).toBe(true);
    // Each node execution is a runner span; its calls to the controller nest under it.
    const executions = spans.filter((s) => s.service === 'sparkwing-runner' && s.name === 'node.execute');
    expect(executions.map((s) => s.attributes['cicd.pipeline.task.name']).sort()).toEqual([
      '_plan',
      'build',
      'test',
    ]);
    const finishes = spans.filter((s) => s.service === 'sparkwing-runner' && s.name.endsWith('/finish'));
    for (const finish of finishes) {
      expect(
        executions.map((s) => s.spanId),
        finish.name,
      ).toContain(finish.parentSpanId);
    }
    const nodes = new Set(spans.map((s) => s.attributes['cicd.pipeline.task.name']).filter(Boolean));
    expect([...nodes].sort()).toEqual(['_plan', 'build', 'test']);
    for (const span of spans) expect(span.attributes['cicd.pipeline.run.id'], span.name).toBe(pipelineRunId);
    // The controller's own spans: the trigger, each node's queue wait up to its claim, and the run's root.
    expect(names).toContain('sparkwing-controller run.trigger');
    const claims = spans.filter((s) => s.service === 'sparkwing-controller' && s.name === 'node.claim');
    expect(claims.map((s) => s.attributes['cicd.pipeline.task.name']).sort()).toEqual([
      '_plan',
      'build',
      'test',
    ]);
    const root = await until(
      'the run root span',
      async () =>
        otlp.spans.find(
          (s) => s.traceId === traceId && s.service === 'sparkwing-controller' && s.name.startsWith('run '),
        ),
      10_000,
    );
    expect(root.parentSpanId).toBeUndefined();
    expect(root.attributes['cicd.pipeline.result']).toBe('success');
    const rootChildren = spans.filter((s) => s.parentSpanId === root.spanId);
    expect(rootChildren.length).toBeGreaterThan(0);
  });

  it("the hand-driven run's spans from controller and logs form one trace, with log records", async () => {
    await Promise.all(Object.values(services).map((s) => s.stop()));
    const traceId = traceIdForRun(runId);
    const spans = await until(
      'spans of the run',
      async () => {
        const mine = otlp.spans.filter((s) => s.traceId === traceId);
        const services = new Set(mine.map((s) => s.service));
        return services.has('sparkwing-controller') && services.has('sparkwing-logs') ? mine : undefined;
      },
      10_000,
    );
    const names = spans.map((s) => `${s.service} ${s.name}`);
    expect(
      names.some((n) => /^sparkwing-logs POST \/api\/v1\/logs\/:\w+\/:\w+$/.test(n)),
      names.join('\n'),
    ).toBe(true);
    expect(names.some((n) => n.startsWith('sparkwing-controller POST /api/v1/runs/:id/'))).toBe(true);
    for (const span of spans) expect(span.attributes['cicd.pipeline.run.id'], span.name).toBe(runId);
    const logs = otlp.logs.filter((l) => l.traceId === traceId);
    expect(logs.length).toBeGreaterThan(0);
  });
});
