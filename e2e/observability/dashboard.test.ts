import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateDashboard } from './lib/grafana-schema.js';
import { repoPath } from './lib/paths.js';

const dashboard = JSON.parse(readFileSync(repoPath('docs/grafana/sparkwing.json'), 'utf8'));
const SECTIONS = [
  'Overview',
  'Throughput',
  'Latency',
  'Failures',
  'Capacity',
  'Dispatch endpoint',
  'Services',
];

describe('Grafana dashboard docs/grafana/sparkwing.json', () => {
  it('validates against the Grafana dashboard model subset', () => {
    expect(validateDashboard(dashboard)).toEqual([]);
  });

  it('the validator rejects broken dashboards', () => {
    const broken = structuredClone(dashboard);
    broken.panels[1].gridPos.w = 30;
    delete broken.panels[2].targets[0].expr;
    broken.panels[3].type = 'graphz';
    broken.templating.list.push({ name: 'x', type: 'nope' });
    const errors = validateDashboard(broken);
    expect(errors.join('\n')).toMatch(/gridPos\.w: 30 > 24/);
    expect(errors.join('\n')).toMatch(/targets\[0\]\.expr: required/);
    expect(errors.join('\n')).toMatch(/"graphz" is not one of/);
    expect(errors.join('\n')).toMatch(/type: "nope"/);
  });

  it('is what docs/grafana/generate.mjs produces', () => {
    execFileSync('node', [repoPath('docs/grafana/generate.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('has the seven operational sections in order', () => {
    const rows = dashboard.panels
      .filter((p: { type: string }) => p.type === 'row')
      .map((p: { title: string }) => p.title);
    expect(rows).toEqual(SECTIONS);
  });

  it('has a queue-wait heatmap fed by histogram buckets', () => {
    const heatmap = dashboard.panels.find((p: { type: string }) => p.type === 'heatmap');
    expect(heatmap.title).toMatch(/queue wait/i);
    expect(heatmap.targets[0].format).toBe('heatmap');
    expect(heatmap.targets[0].expr).toContain('sparkwing_node_queue_wait_seconds_bucket');
  });

  it('has datasource, pipeline and service variables, and every panel uses the datasource variable', () => {
    const vars = Object.fromEntries(dashboard.templating.list.map((v: { name: string }) => [v.name, v]));
    expect(vars.datasource.type).toBe('datasource');
    expect(vars.datasource.query).toBe('prometheus');
    expect(vars.pipeline.query.query).toBe('label_values(sparkwing_runs_total, pipeline)');
    expect(vars.service.query.query).toBe('label_values(sparkwing_http_requests_total, service)');
    const exprs = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    expect(exprs.some((e: string) => e.includes('$pipeline'))).toBe(true);
    expect(exprs.some((e: string) => e.includes('$service'))).toBe(true);
    for (const p of dashboard.panels.filter((x: { type: string }) => x.type !== 'row')) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });
});
