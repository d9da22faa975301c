import { ApiError } from '@sparkwing/contracts';
import { describe, expect, it } from 'vitest';
import { artifactPathOrThrow } from './keys.js';

describe('artifactPathOrThrow', () => {
  it('keeps nested relative paths', () => {
    expect(artifactPathOrThrow('reports/junit.xml')).toBe('reports/junit.xml');
  });

  it('refuses a segment longer than a file name may be (found by the fuzz suite: it answered 500)', () => {
    expect(() => artifactPathOrThrow(`dir/${'x'.repeat(256)}`)).toThrow(ApiError);
    expect(() => artifactPathOrThrow(`dir/${'é'.repeat(128)}`)).toThrow(/at most 255 bytes/);
    expect(artifactPathOrThrow(`dir/${'x'.repeat(255)}`)).toBe(`dir/${'x'.repeat(255)}`);
  });
});
