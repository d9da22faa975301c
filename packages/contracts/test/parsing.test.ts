import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/durations.js';
import { isSafeId } from '../src/ids.js';
import { labelsSatisfy, unsatisfiedTerms } from '../src/labels.js';
import { formatBytes, parseCpuQuantity, parseMemoryQuantity } from '../src/quantity.js';

describe('durations', () => {
  it('parses the documented forms', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
  });
  it('rejects anything else with a readable message', () => {
    for (const bad of [
      '',
      ' ',
      '5',
      'five minutes',
      '-1s',
      '5x',
      '5m banana',
      '1m30',
      '1,000s',
      'Infinitys',
    ]) {
      expect(() => parseDuration(bad)).toThrow(/invalid duration/);
    }
  });
  it('formats for humans', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m05s');
  });
});

describe('labels', () => {
  it('ANDs terms and ORs comma alternatives with literal equality', () => {
    expect(labelsSatisfy([], [])).toBe(true);
    expect(labelsSatisfy(['linux'], ['linux', 'arm64'])).toBe(true);
    expect(labelsSatisfy(['linux', 'gpu'], ['linux'])).toBe(false);
    expect(labelsSatisfy(['amd64,arm64'], ['arm64'])).toBe(true);
    expect(labelsSatisfy(['Linux'], ['linux'])).toBe(false);
    expect(unsatisfiedTerms(['linux', 'gpu,tpu'], ['linux'])).toEqual(['gpu,tpu']);
  });
});

describe('quantities and ids', () => {
  it('parses Kubernetes quantities', () => {
    expect(parseMemoryQuantity('512Mi')).toBe(512 * 1024 * 1024);
    expect(parseMemoryQuantity('1G')).toBe(1e9);
    expect(parseCpuQuantity('500m')).toBe(500);
    expect(parseCpuQuantity('2')).toBe(2_000);
    expect(() => parseMemoryQuantity('lots')).toThrow(/invalid memory quantity/);
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
  it('accepts safe ids only', () => {
    expect(isSafeId('run_abc-1.2')).toBe(true);
    for (const bad of ['..', '.', 'a/b', 'a\0b', '../x', '', 'x'.repeat(200), '.hidden']) {
      expect(isSafeId(bad)).toBe(false);
    }
  });
});
