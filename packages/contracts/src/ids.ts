import { z } from 'zod';

/** One path segment used as an id: letters, digits, `._-`, at most 128 chars, never `.` or `..`. */
export const ID_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function isSafeId(value: string): boolean {
  return ID_RE.test(value) && value !== '.' && value !== '..' && !value.includes('..');
}

export const idSchema = z.string().refine(isSafeId, {
  message:
    'must be 1-128 characters of letters, digits, ".", "_" or "-", not starting with "." and without ".."',
});

/** A generated run id: sortable by creation time (base36 millis) plus randomness. */
export function newRunId(now: number = Date.now()): string {
  const random = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  return `run_${now.toString(36).padStart(9, '0')}${random}`;
}
