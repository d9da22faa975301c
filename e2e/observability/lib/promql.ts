import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { repoPath } from './paths.js';

export interface Expression {
  /** Where it came from, for failure messages. */
  source: string;
  expr: string;
}

/** Grafana substitutes these before a query reaches Prometheus; do the same with representative values. */
export function substituteVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '30s')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(pipeline|service)\}?/g, '.*');
}

export function dashboardExpressions(): Expression[] {
  const dashboard = JSON.parse(readFileSync(repoPath('docs/grafana/sparkwing.json'), 'utf8'));
  const out: Expression[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      out.push({
        source: `dashboard panel "${panel.title}" ${target.refId}`,
        expr: substituteVariables(target.expr),
      });
    }
  }
  return out;
}

/** The metric each `label_values(metric, label)` variable reads (queried as a plain selector). */
export function dashboardVariableSelectors(): Expression[] {
  const dashboard = JSON.parse(readFileSync(repoPath('docs/grafana/sparkwing.json'), 'utf8'));
  const out: Expression[] = [];
  for (const v of dashboard.templating.list) {
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    const m = typeof query === 'string' ? /^label_values\((.+),\s*(\w+)\)$/.exec(query) : null;
    if (m) out.push({ source: `dashboard variable $${v.name}`, expr: m[1]! });
  }
  return out;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(repoPath('docs/prometheus/alerts.yml'), 'utf8'));
  return doc.groups.flatMap((g: { rules: AlertRule[] }) => g.rules);
}

export function alertExpressions(): Expression[] {
  return alertRules().map((r) => ({ source: `alert ${r.alert}`, expr: r.expr.trim() }));
}

export const RUNBOOK_DIR = repoPath('docs/runbooks');

export function runbookFiles(): string[] {
  return readdirSync(RUNBOOK_DIR).filter((f) => f.endsWith('.md'));
}

/** Every ```promql fenced block of every runbook page. */
export function runbookExpressions(): Expression[] {
  const out: Expression[] = [];
  for (const file of runbookFiles()) {
    const text = readFileSync(`${RUNBOOK_DIR}/${file}`, 'utf8');
    for (const m of text.matchAll(/```promql\n([\s\S]*?)```/g)) {
      out.push({ source: `runbook ${file}`, expr: m[1]!.trim() });
    }
  }
  return out;
}

/** Metric names a PromQL expression reads: sparkwing_* families plus Prometheus' own `up`. */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const names = new Set<string>();
  for (const m of withoutStrings.matchAll(/\b(sparkwing_[a-z0-9_]+|up)\b(?!\s*\()/g)) names.add(m[1]!);
  return [...names];
}

/** Maps a series name to its family: histogram series end in _bucket/_sum/_count. */
export function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m && ['histogram', 'summary'].includes(families.get(m[1]!) ?? '')) return m[1];
  return undefined;
}
