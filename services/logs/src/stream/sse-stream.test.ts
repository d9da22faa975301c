import type { LogRecord } from '@sparkwing/contracts';
import { describe, expect, it } from 'vitest';
import { event, MAX_BYTES_PER_PULL, withinBytes } from './sse-stream.js';

const record = (seq: number, bytes: number): LogRecord => ({
  seq,
  ts: '2026-12-08T00:00:00.000Z',
  stream: 'stdout',
  msg: 'x'.repeat(bytes),
});
const size = (records: LogRecord[]) => records.reduce((sum, r) => sum + event(r).length, 0);

describe('what one SSE pull holds for a paused reader', () => {
  it('stays within MAX_BYTES_PER_PULL however large the backlog (issue 20: a paused reader cost ~3 MB)', () => {
    const backlog = Array.from({ length: 500 }, (_, i) => record(i + 1, 4096));
    expect(size(backlog)).toBeGreaterThan(30 * MAX_BYTES_PER_PULL);
    const batch = withinBytes(backlog);
    expect(batch.length).toBeGreaterThan(1);
    expect(size(batch)).toBeLessThanOrEqual(MAX_BYTES_PER_PULL);
    // In order, from the front: the next pull resumes after the last one sent.
    expect(batch.map((r) => r.seq)).toEqual(backlog.slice(0, batch.length).map((r) => r.seq));
  });

  it('still sends a single record larger than the bound (it cannot be split)', () => {
    const big = [record(1, 100 * 1024), record(2, 10)];
    expect(withinBytes(big).map((r) => r.seq)).toEqual([1]);
  });
});
