import { formatDuration as cliFormat } from '@sparkwing/contracts';
import { describe, expect, it } from 'vitest';
import { formatDuration, runElapsed } from '../app/src/lib/format.js';

describe('dashboard durations', () => {
  it('read like the CLI, sub-second precision included', () => {
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    for (const ms of [0, 999, 1_000, 12_340, 59_949, 61_000, 7_200_000])
      expect(formatDuration(ms)).toBe(cliFormat(ms));
  });
  it('show a dash when there is nothing to measure', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(runElapsed({ duration_ms: null, started_at: null })).toBeNull();
    expect(
      runElapsed(
        { duration_ms: null, started_at: '2026-01-01T00:00:00.000Z' },
        Date.UTC(2026, 0, 1, 0, 0, 1, 500),
      ),
    ).toBe(1_500);
    expect(runElapsed({ duration_ms: 42, started_at: '2026-01-01T00:00:00.000Z' })).toBe(42);
  });
});
