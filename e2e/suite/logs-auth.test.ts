import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, nodeOf, scrape, triggerFixture, waitForRun } from './lib/helpers.js';
import { type Stack, startStack } from './lib/stack.js';

// Scenario 3, logs_auth: its own stack, because the logs service must verify node tokens with the wrong key.
describe('logs_auth: the logs service rejects the runner', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      logsSigningKey: randomBytes(32).toString('hex'),
      runners: { 'runner-a': ['linux'] },
    });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('fails the node logs_auth and counts the refused appends', async () => {
    const before = await scrape(`${stack.urls.logs}/metrics`);
    const controllerBefore = await scrape(`${stack.urls.controller}/metrics`);
    const runId = await triggerFixture(stack, 'quick');
    const detail = await waitForRun(stack.controller, runId);
    expect(detail.run).toMatchObject({ status: 'failed', failure_reason: 'logs_auth' });
    expect(nodeOf(detail, '_plan')).toMatchObject({
      status: 'failed',
      result: { failure_reason: 'logs_auth' },
    });
    // The plan never spread: a run that cannot store its output stops at `_plan`.
    expect(detail.nodes.map((node) => node.id)).toEqual(['_plan']);
    // Nothing the runner wrote was stored: every append was refused.
    const stored = await stack.logs.read(runId, '_plan');
    expect(stored).toEqual([]);
    const after = await scrape(`${stack.urls.logs}/metrics`);
    expect(metricValue(after, 'sparkwing_logs_rejected_appends_total')).toBeGreaterThan(
      metricValue(before, 'sparkwing_logs_rejected_appends_total'),
    );
    const controllerAfter = await scrape(`${stack.urls.controller}/metrics`);
    expect(
      metricValue(controllerAfter, 'sparkwing_nodes_completed_total', { failure_reason: 'logs_auth' }) -
        metricValue(controllerBefore, 'sparkwing_nodes_completed_total', { failure_reason: 'logs_auth' }),
    ).toBe(1);
  });
});
