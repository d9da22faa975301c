/** A small seeded PRNG (mulberry32): the same seed replays the same requests. */
export function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (max: number) => Math.floor(next() * max),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof prng>;

/** Hostile ids for path parameters: traversal, NUL, separators, encodings, oversized, empty. */
export const BAD_IDS = [
  '..',
  '%2e%2e',
  '.%2e',
  '..%2f..%2fetc%2fpasswd',
  'a%00b',
  '%00',
  'a%2Fb',
  'a\\b',
  '%5c..%5c',
  'x'.repeat(300),
  '%20',
  '-',
  '.hidden',
  'run%0aid',
  '%E2%80%AE',
  '%ff%fe',
  '%24%7Bjndi:x%7D',
  'search',
  '_plan',
];

const WEIRD_STRINGS = [
  '',
  'x',
  '\u0000',
  'a'.repeat(5_000),
  '../../etc/passwd',
  '🙂',
  '\ud800',
  '<script>',
  'null',
];

/** A random JSON value of mixed types (objects with unknown keys, arrays, deep nesting). */
export function randomJson(rng: Rng, depth = 0): unknown {
  const kind = rng.int(depth > 4 ? 5 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3:
    case 4:
      return rng.pick(WEIRD_STRINGS);
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: {
      const keys = [
        'runner_id',
        'labels',
        'wait_ms',
        'pipeline',
        'nodes',
        'outcome',
        'output',
        'name',
        'url',
        'token',
        'scopes',
        'kind',
        'value',
        'git',
        'repo',
        'commits',
        '__proto__',
        'constructor',
        'unknown_field',
      ];
      const out: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) out[rng.pick(keys)] = randomJson(rng, depth + 1);
      return out;
    }
  }
}

/** A JSON document nested `depth` levels deep. */
export function deepJson(depth: number): string {
  return `${'{"output":'.repeat(1)}${'['.repeat(depth)}1${']'.repeat(depth)}}`;
}

export const MALFORMED_BODIES = [
  '{',
  '{"a":',
  '[1,2',
  'nul',
  '{"a":1}}',
  '\u0000\u0001\u0002',
  '{"a":"\\ud800"}',
  '{"a": NaN}',
  "{'a':1}",
  '1e99999',
  '"unterminated',
];
