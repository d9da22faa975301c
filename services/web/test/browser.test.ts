import { FAILURE_REASON_HELP } from '@sparkwing/contracts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, shot } from './helpers/browser.js';
import { type Stack, startStack } from './helpers/processes.js';
import {
  appendLogs,
  claim,
  finish,
  type LeasedNode,
  plannedRun,
  postMetrics,
  type Seeder,
  samples,
  seeder,
  startNode,
  userToken,
} from './helpers/seed.js';

const MiB = 1024 * 1024;
const TEST_SAMPLES: [number, number][] = [
  [450, 300 * MiB],
  [1200, 700 * MiB],
  [1800, 1000 * MiB],
  [900, 1010 * MiB],
];

let stack: Stack;
let seed: Seeder;
let browser: Browser;
const tokens = { full: '', reader: '', logsOnly: '' };
const runs = { failed: '', running: '', ok: '', queued: '' };
let rollout: LeasedNode;

async function seedRuns(): Promise<void> {
  runs.ok = await plannedRun(seed, 'lint', [{ id: 'eslint' }]);
  const eslint = await claim(seed, runs.ok);
  await startNode(seed, eslint);
  await appendLogs(seed, eslint, ['eslint .', 'no problems'], true);
  await finish(seed, eslint, 'success');

  runs.failed = await plannedRun(seed, 'build', [
    { id: 'compile', steps: [{ id: 'install' }, { id: 'tsc', needs: ['install'] }] },
    { id: 'test', needs: ['compile'], resources: { cpu: '2', memory: '1Gi' } },
    { id: 'package', needs: ['test'] },
  ]);
  const compile = await claim(seed, runs.failed);
  await startNode(seed, compile);
  await appendLogs(seed, compile, ['pnpm install', 'tsc -b', 'compiled 42 files'], true);
  await postMetrics(
    seed,
    compile,
    samples(Date.now() - 120_000, [
      [300, 200 * MiB],
      [500, 220 * MiB],
    ]),
  );
  await finish(seed, compile, 'success');
  const test = await claim(seed, runs.failed);
  await startNode(seed, test);
  await appendLogs(seed, test, ['vitest run', 'allocating fixtures…', 'Killed'], true);
  await postMetrics(seed, test, samples(Date.now() - 60_000, TEST_SAMPLES));
  await finish(seed, test, 'failed', {
    failure_reason: 'oom_killed',
    exit_code: 137,
    error: 'container "runner" was killed by the kernel OOM killer',
    logs_tail: 'vitest run\nallocating fixtures…\nKilled',
  });

  runs.queued = await plannedRun(seed, 'train-model', [{ id: 'train', requires: ['gpu=true'] }]);

  runs.running = await plannedRun(seed, 'deploy', [
    { id: 'rollout', resources: { memory: '512Mi' } },
    { id: 'smoke', needs: ['rollout'] },
  ]);
  rollout = await claim(seed, runs.running);
  await startNode(seed, rollout);
  await appendLogs(seed, rollout, ['kubectl apply -f k8s/', 'deployment.apps/web configured']);
  await postMetrics(
    seed,
    rollout,
    samples(Date.now() - 10_000, [
      [200, 100 * MiB],
      [250, 120 * MiB],
    ]),
  );
}

async function signIn(context: BrowserContext, token: string, path = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${stack.web.url}${path}`);
  await page.getByLabel('Personal token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

beforeAll(async () => {
  stack = await startStack();
  seed = seeder(stack.controller.url, stack.logs.url, stack.adminToken);
  tokens.full = await userToken(seed, 'ada', ['runs.read', 'runs.write', 'logs.read']);
  tokens.reader = await userToken(seed, 'reader', ['runs.read', 'logs.read']);
  tokens.logsOnly = await userToken(seed, 'logs-only', ['logs.read']);
  await seedRuns();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('dashboard in Chromium', () => {
  it('asks for sign-in, refuses a bad token, then lands on the page that was asked for', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stack.web.url}/pipelines`);
    await page.getByRole('heading', { name: 'Sign in to Sparkwing' }).waitFor();
    await shot(page, 'sign-in-1280');
    await page.getByLabel('Personal token').fill('swu_definitely-not-valid');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('Personal token').fill(tokens.full);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/pipelines');
    await context.close();
  });

  it('shows the failure-reason badge of the failed run on Home', async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await signIn(context, tokens.full);
      const row = page.locator(`tr[data-run-id="${runs.failed}"]`);
      await row.waitFor();
      expect(await row.locator('[data-reason]').textContent()).toBe('oom_killed');
      expect(await page.locator(`tr[data-run-id="${runs.ok}"] [data-reason]`).count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await shot(page, `home-${width}`);
      await context.close();
    }
  });

  it('shows the reason badge and the "what to do" banner on Pipelines', async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const context = await browser.newContext({ viewport: { width, height } });
      const page = await signIn(context, tokens.full, '/pipelines');
      const card = page.locator('[data-pipeline="build"]');
      await card.waitFor();
      expect(await card.locator('.card-head [data-reason]').textContent()).toBe('oom_killed');
      const banner = card.getByRole('note');
      expect(await banner.textContent()).toContain(FAILURE_REASON_HELP.oom_killed.action);
      expect(await page.locator('[data-pipeline="lint"] [role="note"]').count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await shot(page, `pipelines-${width}`);
      await context.close();
    }
  });

  it('charts the failed job’s CPU and memory with peak and average matching the samples', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, tokens.full, `/runs/${runs.failed}/nodes/test`);
    await page.locator('[data-node="test"]').waitFor();
    expect(await page.getByTestId('exit-code').textContent()).toBe('137');
    expect(await page.locator('[data-node="test"] .banner').textContent()).toContain(
      FAILURE_REASON_HELP.oom_killed.action,
    );
    const cpu = page.getByTestId('cpu-stats');
    await cpu.waitFor();
    const cpuValues = TEST_SAMPLES.map(([c]) => c);
    const memValues = TEST_SAMPLES.map(([, m]) => m);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(Number(await cpu.getAttribute('data-peak'))).toBe(Math.max(...cpuValues));
    expect(Number(await cpu.getAttribute('data-avg'))).toBeCloseTo(mean(cpuValues), 6);
    expect(await cpu.textContent()).toContain('peak 1.80 cores');
    expect(await cpu.textContent()).toContain('avg 1.09 cores');
    const mem = page.getByTestId('mem-stats');
    expect(Number(await mem.getAttribute('data-peak'))).toBe(Math.max(...memValues));
    expect(Number(await mem.getAttribute('data-avg'))).toBeCloseTo(mean(memValues), 3);
    expect(await mem.textContent()).toContain('peak 1010 MiB');
    // Expanded by default: the charts show without a click.
    expect(await page.getByTestId('resources').getAttribute('open')).not.toBeNull();
    await page.locator('svg.chart-cpu path.line').waitFor();
    expect(await page.locator('svg.chart-mem path.line').count()).toBe(1);
    expect(await page.locator('svg.chart-mem .limit text').textContent()).toBe('limit 1.0 GiB');
    expect(await page.locator('svg.chart-cpu .limit text').textContent()).toBe('limit 2.00 cores');
    await page.getByText('Killed').first().waitFor();
    const polls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/api/v1/runs/${runs.failed}`) polls.push(request.url());
    });
    await page.waitForTimeout(4_500);
    expect(polls).toEqual([]);
    await shot(page, 'run-failed-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(390);
    await shot(page, 'run-failed-390');
    await context.close();
  });

  it('grows a running job’s log live and searches it', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await signIn(context, tokens.full, `/runs/${runs.running}/nodes/rollout`);
    const lines = page.locator('[data-testid="log-lines"] .log-line');
    let polls = 0;
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === `/api/v1/runs/${runs.running}`) polls += 1;
    });
    await expect.poll(() => lines.count()).toBe(2);
    expect(await page.getByTestId('stream-state').textContent()).toBe('live');
    await appendLogs(seed, rollout, ['waiting for rollout', 'replica 1/3 ready', 'replica 2/3 ready']);
    await expect.poll(() => lines.count()).toBe(5);
    await appendLogs(seed, rollout, ['replica 3/3 ready']);
    await expect.poll(() => lines.count()).toBe(6);
    expect(await lines.last().textContent()).toContain('replica 3/3 ready');
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('replica');
    await expect.poll(() => lines.count()).toBe(3);
    expect(await page.getByTestId('match-count').textContent()).toBe('3 matches');
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('');
    await expect.poll(() => polls, { timeout: 10_000 }).toBeGreaterThan(1);
    await shot(page, 'run-running-1280');
    await context.close();
  });

  it('cancels a running run from the UI', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.full, `/runs/${runs.running}`);
    const cancel = page.getByRole('button', { name: 'Cancel run' });
    await cancel.click();
    await expect.poll(async () => (await seed.admin.getRun(runs.running)).run.cancel_requested).toBe(true);
    await page
      .getByRole('button', { name: /Cancelling/ })
      .or(page.getByRole('button', { name: 'Retry' }))
      .first()
      .waitFor();
    await context.close();
  });

  it('hides cancel and retry without runs.write', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.reader, `/runs/${runs.queued}`);
    await page.locator('[data-node-id="train"]').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await context.close();
  });

  it('shows runners and the queue with the label set no runner satisfies', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.full, '/runners');
    await page.getByText('runner-1').first().waitFor();
    await shot(page, 'runners-1280');
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByText('No live runner can take some of this work').waitFor();
    expect(await page.locator('.banner-warn').textContent()).toContain('gpu=true');
    await shot(page, 'queue-1280');
    await context.close();
  });

  it('shows a permission error when the token lacks the scope, and signs out', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.logsOnly);
    const error = page.locator('.state-error');
    await error.waitFor();
    expect(await error.getAttribute('data-status-code')).toBe('403');
    expect(await error.textContent()).toContain('You do not have permission');
    await shot(page, 'forbidden-1280');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Sparkwing' }).waitFor();
    await page.goto(`${stack.web.url}/`);
    await page.getByRole('heading', { name: 'Sign in to Sparkwing' }).waitFor();
    await context.close();
  });

  it('selects jobs in the graph with the keyboard and retries a finished run', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.full, `/runs/${runs.failed}`);
    await page.locator('[data-node="test"]').waitFor();
    await page.locator('[data-node-id="compile"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-node="compile"]').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${runs.failed}/nodes/compile`);
    await page.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => new URL(page.url()).pathname).not.toContain(runs.failed);
    const retried = new URL(page.url()).pathname.split('/')[2]!;
    expect((await seed.admin.getRun(retried)).run.retry_of).toBe(runs.failed);
    await page.getByText(`retry of ${runs.failed}`).waitFor();
    await context.close();
  });
  // Last: the seeded running job's lease must not lapse while earlier tests wait on this one.
  it('filters runs on Home by status, pipeline and branch through GET /runs', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await signIn(context, tokens.full);
    await page.locator(`tr[data-run-id="${runs.ok}"]`).waitFor();
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.locator('tr[data-run-id]').count()).toBe(1);
    expect(await page.locator(`tr[data-run-id="${runs.failed}"]`).count()).toBe(1);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Pipeline').fill('lint');
    await expect.poll(() => page.locator('tr[data-run-id]').count()).toBe(1);
    expect(await page.locator(`tr[data-run-id="${runs.ok}"]`).count()).toBe(1);
    await page.getByLabel('Branch').fill('no-such-branch');
    await page.getByText('No runs match these filters').waitFor();
    await shot(page, 'home-filters-1280');
    await context.close();
  });
});
