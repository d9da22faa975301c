import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceFamilies } from './lib/metrics-reference.js';
import { type PrometheusHandle, startPrometheus } from './lib/prometheus.js';
import {
  alertExpressions,
  dashboardExpressions,
  dashboardVariableSelectors,
  type Expression,
  familyOf,
  metricNames,
  runbookExpressions,
} from './lib/promql.js';

const all: Expression[] = [
  ...dashboardExpressions(),
  ...dashboardVariableSelectors(),
  ...alertExpressions(),
  ...runbookExpressions(),
];

describe('every PromQL expression in the dashboard, alerts and runbooks', () => {
  let prom: PrometheusHandle;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it('was found (dashboard, variables, alerts and runbooks all contribute)', () => {
    expect(dashboardExpressions().length).toBeGreaterThan(30);
    expect(dashboardVariableSelectors().length).toBe(2);
    expect(alertExpressions().length).toBe(10);
    expect(runbookExpressions().length).toBeGreaterThan(14);
  });

  it('parses in a real Prometheus (/api/v1/query answers without bad_data)', async () => {
    const failures: string[] = [];
    for (const { source, expr } of all) {
      const res = await prom.query(expr);
      if (res.status !== 'success') failures.push(`${source}: ${res.errorType} ${res.error}\n  ${expr}`);
    }
    expect(failures).toEqual([]);
  });

  it('a broken expression is reported as bad_data (the check can fail)', async () => {
    const res = await prom.query('sum by (le (rate(sparkwing_http_requests_total[1m]))');
    expect(res.status).toBe('error');
    expect(res.errorType).toBe('bad_data');
  });

  it('uses only metric families some service exports (docs/metrics.md)', () => {
    const families = referenceFamilies();
    expect(families.size).toBeGreaterThan(10);
    families.set('up', 'gauge');
    const missing: string[] = [];
    for (const { source, expr } of all) {
      for (const name of metricNames(expr)) {
        if (!familyOf(name, families)) missing.push(`${source}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
