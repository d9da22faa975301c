import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { FAILURE_REASONS } from '@sparkwing/contracts';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoPath } from './lib/paths.js';
import { alertRules, RUNBOOK_DIR, runbookFiles } from './lib/promql.js';

/** The alerts issue 10 asks for, by what they watch. */
const REQUIRED = {
  SparkwingNoSuccessfulClaims: 'sparkwing_nodes_claimed_total',
  SparkwingOldestReadyNodeStale: 'sparkwing_oldest_ready_node_age_seconds',
  SparkwingOOMKills: 'oom_killed',
  SparkwingAgentLostRate: 'agent_lost',
  SparkwingWebhookSignatureFailures: 'sparkwing_webhook_deliveries_total',
  SparkwingServiceDown: 'up{',
  SparkwingLogsFsyncSlow: 'sparkwing_logs_fsync_duration_seconds',
  // Issue 18: sustained warm-pool misses (builds running cold).
  SparkwingPvcPoolMisses: 'sparkwing_pvc_pool_misses_total',
  // Issue 14: the dispatcher's spawn failures and image-pull failures.
  SparkwingRunnerSpawnFailures: 'sparkwing_runner_spawn_failures_total',
  SparkwingRunnerImagePullFailures: 'reason="image_pull"',
};

function promtool(...args: string[]): string {
  return execFileSync('promtool', args, {
    cwd: repoPath('docs/prometheus'),
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

describe('alert rules docs/prometheus/alerts.yml', () => {
  const rules = alertRules();

  it('pass promtool check rules', () => {
    expect(promtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: 10 rules found/);
  });

  it('pass their promtool unit tests (alerts.test.yml)', () => {
    expect(promtool('test', 'rules', 'alerts.test.yml')).toMatch(/SUCCESS/);
  });

  it('cover every alert the issue lists, each with for:, a severity and an existing runbook', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(Object.keys(REQUIRED).sort());
    for (const rule of rules) {
      expect(rule.expr, rule.alert).toContain(REQUIRED[rule.alert as keyof typeof REQUIRED]);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['page', 'ticket'], rule.alert).toContain(rule.labels?.severity);
      const url = rule.annotations?.runbook_url ?? '';
      expect(url, rule.alert).toMatch(/^docs\/runbooks\/[a-z0-9-]+\.md$/);
      expect(existsSync(repoPath(url)), url).toBe(true);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
  });

  it('have a firing case and a quiet case in the unit tests', () => {
    const doc = parse(readFileSync(repoPath('docs/prometheus/alerts.test.yml'), 'utf8'));
    const cases = doc.tests.flatMap(
      (t: { alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }) => t.alert_rule_test,
    );
    for (const rule of rules) {
      const mine = cases.filter((c: { alertname: string }) => c.alertname === rule.alert);
      expect(
        mine.some((c: { exp_alerts: unknown[] }) => c.exp_alerts.length > 0),
        `${rule.alert} fires`,
      ).toBe(true);
      expect(
        mine.some((c: { exp_alerts: unknown[] }) => c.exp_alerts.length === 0),
        `${rule.alert} stays quiet`,
      ).toBe(true);
    }
  });

  it('the example scrape config is valid and names jobs the way SparkwingServiceDown expects', () => {
    expect(promtool('check', 'config', 'prometheus.example.yml')).toMatch(/is valid prometheus config/);
    const config = parse(readFileSync(repoPath('docs/prometheus/prometheus.example.yml'), 'utf8'));
    for (const job of config.scrape_configs) expect(job.job_name).toMatch(/^sparkwing-.+/);
  });
});

describe('runbooks docs/runbooks', () => {
  it('have one page per failure reason', () => {
    for (const reason of FAILURE_REASONS) {
      expect(existsSync(`${RUNBOOK_DIR}/failure-${reason.replaceAll('_', '-')}.md`), reason).toBe(true);
    }
  });

  it('every page says what happened, how to confirm and what to do, with PromQL in fenced blocks', () => {
    for (const file of runbookFiles().filter((f) => f !== 'README.md')) {
      const text = readFileSync(`${RUNBOOK_DIR}/${file}`, 'utf8');
      expect(text, file).toMatch(/^## What happened$/m);
      expect(text, file).toMatch(/^## How to confirm$/m);
      expect(text, file).toMatch(/^## What to do$/m);
      expect(text, file).toMatch(/```promql\n/);
    }
  });

  it('never put PromQL in table cells (seed 001: escaped pipes break regex alternation)', () => {
    for (const file of runbookFiles()) {
      const tableLines = readFileSync(`${RUNBOOK_DIR}/${file}`, 'utf8')
        .split('\n')
        .filter((l) => l.trimStart().startsWith('|'));
      for (const line of tableLines) {
        expect(line, file).not.toMatch(/sparkwing_|\bup\{|rate\(|\\\|/);
      }
    }
  });
});
