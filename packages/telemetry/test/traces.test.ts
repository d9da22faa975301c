import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTelemetryOptions, rootSpanIdForRun, traceIdForRun } from '../src/otel.js';
import { runFromPath } from '../src/run-path.js';
import { type OtlpReceiver, startOtlpReceiver } from '../src/testing.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, 'fixtures', 'emit-run-spans.mjs');

describe('resolveTelemetryOptions', () => {
  it('is disabled without endpoints and appends signal paths to the base endpoint', () => {
    expect(resolveTelemetryOptions({ serviceName: 's', env: {} })).toEqual({ serviceName: 's' });
    expect(
      resolveTelemetryOptions({
        serviceName: 's',
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' },
      }),
    ).toEqual({
      serviceName: 's',
      tracesUrl: 'http://127.0.0.1:4318/v1/traces',
      logsUrl: 'http://127.0.0.1:4318/v1/logs',
    });
  });

  it('prefers signal-specific endpoints and OTEL_SERVICE_NAME', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:2/traces',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://127.0.0.1:3/logs',
      OTEL_SERVICE_NAME: 'renamed',
    };
    expect(resolveTelemetryOptions({ serviceName: 's', env })).toEqual({
      serviceName: 'renamed',
      tracesUrl: 'http://127.0.0.1:2/traces',
      logsUrl: 'http://127.0.0.1:3/logs',
    });
    expect(
      resolveTelemetryOptions({ serviceName: 's', otlpEndpoint: 'http://127.0.0.1:9', env: {} }).logsUrl,
    ).toBe('http://127.0.0.1:9/v1/logs');
  });
});

describe('runFromPath', () => {
  it('finds the run and node in controller, logs and cache paths and ignores the rest', () => {
    expect(runFromPath('/api/v1/runs/run_1/nodes/_plan/finish')).toEqual({ runId: 'run_1', nodeId: '_plan' });
    expect(runFromPath('/api/v1/runs/run_1/plan')).toEqual({ runId: 'run_1' });
    expect(runFromPath('/api/v1/logs/run_1/build/stream')).toEqual({ runId: 'run_1', nodeId: 'build' });
    expect(runFromPath('/artifacts/run_1/out.tgz')).toEqual({ runId: 'run_1' });
    expect(runFromPath('/api/v1/logs/search')).toBeUndefined();
    expect(runFromPath('/api/v1/runs')).toBeUndefined();
    expect(runFromPath('/api/v1/runs/..')).toBeUndefined();
    expect(runFromPath('/api/v1/nodes/claim')).toBeUndefined();
  });
});

describe('one trace per run across processes', () => {
  let receiver: OtlpReceiver;
  const runId = `run_${Date.now().toString(36)}trace`;

  beforeAll(async () => {
    if (!existsSync(join(here, '..', 'dist', 'index.js')))
      throw new Error('build @sparkwing/telemetry first');
    receiver = await startOtlpReceiver();
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
    // Three separate processes, no context passed between them: only the run id is shared.
    await Promise.all(
      ['controller', 'runner', 'logs'].map((role) => run('node', [fixture, runId, role], { env })),
    );
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('exports OTLP/JSON to /v1/traces and /v1/logs', () => {
    expect(receiver.rejected).toEqual([]);
    expect(new Set(receiver.spans.map((s) => s.service))).toEqual(
      new Set(['sparkwing-controller', 'sparkwing-runner', 'sparkwing-logs']),
    );
  });

  it('every span of the run carries the trace id derived from the run id', () => {
    const traceId = traceIdForRun(runId);
    expect(receiver.spans.length).toBe(7);
    for (const span of receiver.spans) expect(span.traceId, span.name).toBe(traceId);
  });

  it('the run root span has the derived span id and parents every other span', () => {
    const root = receiver.spans.find((s) => s.name === 'run demo');
    expect(root?.spanId).toBe(rootSpanIdForRun(runId));
    expect(root?.parentSpanId).toBeUndefined();
    expect(root?.attributes).toMatchObject({
      'cicd.pipeline.name': 'demo',
      'cicd.pipeline.result': 'success',
    });
    const step = receiver.spans.find((s) => s.name === 'step compile');
    for (const span of receiver.spans.filter((s) => s !== root && s !== step)) {
      expect(span.parentSpanId, span.name).toBe(root?.spanId);
    }
  });

  it('recordSpanInRun records an already finished span (a claim) in the run trace', () => {
    const claim = receiver.spans.find((s) => s.name === 'node.claim');
    expect(claim?.service).toBe('sparkwing-controller');
    expect(claim?.attributes).toMatchObject({
      'cicd.pipeline.task.name': 'build',
      'cicd.worker.id': 'runner-a',
    });
  });

  it('a run span started inside another span of the same run nests under it', () => {
    const node = receiver.spans.find((s) => s.name === 'node build');
    const step = receiver.spans.find((s) => s.name === 'step compile');
    expect(step?.parentSpanId).toBe(node?.spanId);
  });

  it('spans carry CI/CD semantic-convention attributes; the HTTP span its route template', () => {
    const node = receiver.spans.find((s) => s.name === 'node build');
    expect(node?.attributes).toMatchObject({
      'cicd.pipeline.run.id': runId,
      'cicd.pipeline.task.name': 'build',
      'cicd.pipeline.task.run.id': `${runId}/build/1`,
      'cicd.worker.id': 'runner-a',
    });
    const http = receiver.spans.find((s) => s.service === 'sparkwing-logs');
    expect(http?.name).toBe('POST /api/v1/logs/:runID/:nodeID');
    expect(http?.attributes).toMatchObject({
      'http.route': '/api/v1/logs/:runID/:nodeID',
      'cicd.pipeline.run.id': runId,
      'cicd.pipeline.task.name': 'build',
    });
  });

  it('outgoing fetch calls about the run are CLIENT spans in its trace; others are not traced', () => {
    const client = receiver.spans.find((s) => s.service === 'sparkwing-runner' && s.name.startsWith('POST'));
    expect(client?.name).toBe('POST /api/v1/runs/{run_id}/nodes/{node_id}/heartbeat');
    expect(client?.attributes).toMatchObject({
      'http.response.status_code': 200,
      'cicd.pipeline.run.id': runId,
      'cicd.pipeline.task.name': 'build',
    });
    expect(receiver.spans.some((s) => s.name.includes('/api/v1/health'))).toBe(false);
  });

  it('log records carry the trace and span id of the span they were written in', () => {
    const bySpan = new Map(receiver.spans.map((s) => [s.spanId, s]));
    for (const body of ['plan accepted', 'node finished', 'request']) {
      const log = receiver.logs.find((l) => l.body === body);
      expect(log, body).toBeDefined();
      expect(log?.traceId, body).toBe(traceIdForRun(runId));
      expect(bySpan.has(log?.spanId ?? ''), body).toBe(true);
    }
  });
});
