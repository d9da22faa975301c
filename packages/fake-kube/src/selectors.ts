import { badRequest } from './errors.js';
import type { KubeObject } from './types.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** Splits on commas that are not inside a `( … )` set. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    return { op: set[2] as 'in' | 'notin', key: set[1]!, values };
  }
  const neq = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (neq) return { op: 'neq', key: neq[1]!, value: neq[2]! };
  const eq = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (eq) return { op: 'eq', key: eq[1]!, value: eq[2]! };
  if (/^![^\s=!]+$/.test(term)) return { op: 'notexists', key: term.slice(1) };
  if (/^[^\s=!()]+$/.test(term)) return { op: 'exists', key: term };
  throw badRequest(`unable to parse requirement: ${term}`);
}

function matches(requirements: Requirement[], get: (key: string) => string | undefined): boolean {
  return requirements.every((r) => {
    const actual = get(r.key);
    switch (r.op) {
      case 'eq':
        return actual === r.value;
      case 'neq':
        return actual !== r.value;
      case 'in':
        return actual !== undefined && r.values.includes(actual);
      case 'notin':
        return actual === undefined || !r.values.includes(actual);
      case 'exists':
        return actual !== undefined;
      case 'notexists':
        return actual === undefined;
    }
    return false;
  });
}

export type Selector = (object: KubeObject) => boolean;

/** Parses a `labelSelector` query value (equality and set-based requirements). */
export function labelSelector(text: string | undefined): Selector {
  if (!text) return () => true;
  const requirements = splitTerms(text).map(parseTerm);
  return (object) => matches(requirements, (key) => object.metadata.labels?.[key]);
}

function fieldValue(object: KubeObject, path: string): string | undefined {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value === undefined || value === null ? undefined : String(value);
}

/** Parses a `fieldSelector` (equality only, any dotted path such as `metadata.name` or `status.phase`). */
export function fieldSelector(text: string | undefined): Selector {
  if (!text) return () => true;
  const requirements = splitTerms(text).map(parseTerm);
  for (const r of requirements) {
    if (r.op !== 'eq' && r.op !== 'neq') throw badRequest(`field selector supports only = and !=: ${text}`);
  }
  return (object) => matches(requirements, (key) => fieldValue(object, key) ?? '');
}
