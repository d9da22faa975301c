import { ControllerClient } from '@sparkwing/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/index.js';
import { ADMIN, atOrigin, fixture, startTriggerStack, type TriggerStack } from './triggers/stack.js';

const CONFIG = '.sparkwing/sparkwing.yaml';
const yaml = (schedule: string) =>
  `pipelines:\n  - name: nightly\n    entrypoint: nightly\n    on:\n      schedule: ['${schedule}']\n`;

let s: TriggerStack;
const api = () => new ControllerClient({ baseUrl: s.url, token: ADMIN });

/** A push delivery: it makes the controller know the repository (and refreshes the mirror). */
async function pushed(before: string, after: string, id: string) {
  const payload = atOrigin(fixture('push'), s.origin);
  Object.assign(payload, { before, after });
  payload.commits[0].id = after;
  payload.commits[0].modified = [CONFIG];
  expect((await s.deliver('push', payload, id)).status).toBe(202);
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const match = new RegExp(`^${name}\\{service="controller"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

beforeAll(async () => {
  s = await startTriggerStack();
});
afterAll(async () => s?.close());

describe('schedules (injected clock, real cache, controller restarts)', () => {
  let first: string;

  it('starts a new entry from now and fires each slot once', async () => {
    first = s.origin.commit({ [CONFIG]: yaml('0 3 * * *') });
    await pushed('0'.repeat(40), first, 'sched-push-1');
    // Monday 2026-01-05 10:00 UTC: the first slot is Tuesday 03:00.
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
    s.clock.set(Date.UTC(2026, 0, 6, 2, 59));
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
    s.clock.set(Date.UTC(2026, 0, 6, 3, 0, 20));
    const report = await s.ctl.schedules.tick();
    expect(report.fired).toHaveLength(1);
    expect(report.fired[0]).toMatchObject({
      repo: 'acme/app',
      pipeline: 'nightly',
      slot: Date.UTC(2026, 0, 6, 3),
    });
    const { run } = await api().getRun(report.fired[0]!.runId);
    expect(run).toMatchObject({
      pipeline: 'nightly',
      git: { repo_url: s.origin.bare, branch: 'main' },
      trigger: { kind: 'schedule', event: 'schedule', rule: 'schedule: 0 3 * * *', ref: 'refs/heads/main' },
    });
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
    expect(await metric('sparkwing_schedules_fired_total')).toBe(1);
  });

  it('after downtime fires the latest missed slot once, counts the rest skipped, never twice across restarts', async () => {
    // Down from Tuesday 03:01 until Friday 04:00: Wednesday, Thursday and Friday 03:00 were missed.
    s.restart(new ManualClock(Date.UTC(2026, 0, 9, 4, 0)));
    const report = await s.ctl.schedules.tick();
    expect(report.fired.map((f) => new Date(f.slot).toISOString())).toEqual(['2026-01-09T03:00:00.000Z']);
    expect(report.skipped).toBe(2);
    expect(await metric('sparkwing_schedules_skipped_total')).toBe(2);
    // A crash right after firing, and a start at the same instant: nothing fires again.
    s.restart(new ManualClock(Date.UTC(2026, 0, 9, 4, 0)));
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
    const runs = (await api().listRuns({ event: 'schedule' })).runs;
    expect(runs).toHaveLength(2);
  });

  it("follows the default branch's current sparkwing.yaml: a changed entry with TZ= replaces the old one", async () => {
    const next = s.origin.commit({ [CONFIG]: yaml('TZ=Europe/Berlin 0 6 * * *') });
    await pushed(first, next, 'sched-push-2');
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
    // 06:00 in Berlin is 05:00 UTC in January.
    s.clock.set(Date.UTC(2026, 0, 9, 5, 0, 1));
    const report = await s.ctl.schedules.tick();
    expect(report.fired.map((f) => [f.entry, new Date(f.slot).toISOString()])).toEqual([
      ['TZ=Europe/Berlin 0 6 * * *', '2026-01-09T05:00:00.000Z'],
    ]);
    // The old entry's 03:00 slot is gone with it.
    s.clock.set(Date.UTC(2026, 0, 10, 3, 30));
    expect((await s.ctl.schedules.tick()).fired).toEqual([]);
  });
});
