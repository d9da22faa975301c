import { describe, expect, it } from 'vitest';
import { Masker, secretVariants } from '../src/index.js';

const SECRET = 'hunter2-Sw0rdf1sh!';

describe('Masker', () => {
  it('masks a secret and its base64 (any alignment, base64url too), URL and hex encodings', () => {
    const masker = new Masker();
    masker.add(SECRET);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const samples = [
      `plain ${SECRET}`,
      `b64 ${b64(SECRET)}`,
      `b64url ${Buffer.from(SECRET).toString('base64url')}`,
      `auth ${b64(`user:${SECRET}`)}`,
      `auth ${b64(`us:${SECRET}`)}`,
      `auth ${b64(`u:${SECRET}`)}`,
      `url ${encodeURIComponent(SECRET)}`,
      `hex ${Buffer.from(SECRET).toString('hex')}`,
      `HEX ${Buffer.from(SECRET).toString('hex').toUpperCase()}`,
    ];
    for (const sample of samples) {
      const masked = masker.mask(sample);
      expect(masked, sample).not.toContain(SECRET);
      // Only the prefix's own groups and the 4-character group mixing in a neighbour stay visible.
      expect(masked, sample).toMatch(/^\w+ (\S{0,8}\*\*\*\S{0,4} ?)+$/);
    }
    // Inside a longer encoded text, the part that depends on the secret alone is masked.
    const inside = masker.mask(`auth ${b64(`u:${SECRET}-and-more-text`)}`);
    expect(inside).toMatch(/^auth \S{0,4}\*\*\*\S+$/);
    expect(inside.endsWith(b64(`u:${SECRET}-and-more-text`).slice(-12))).toBe(true);
    expect(masker.mask(`b64 ${b64(SECRET)}`)).toBe('b64 ***');
    expect(masker.mask('nothing to see')).toBe('nothing to see');
  });

  it('masks every string of a job output, keys included, and keeps other values', () => {
    const masker = new Masker();
    expect(masker.maskDeep({ a: SECRET })).toEqual({ a: SECRET });
    masker.add(SECRET);
    expect(
      masker.maskDeep({ token: SECRET, n: 1, ok: true, none: null, list: [`x${SECRET}y`], [SECRET]: 'k' }),
    ).toEqual({ token: '***', n: 1, ok: true, none: null, list: ['x***y'], '***': 'k' });
  });

  it('leaves out encodings too short to mask safely', () => {
    expect(secretVariants('ab').every((variant) => variant.length >= 6)).toBe(true);
    expect(secretVariants('a b/c')).toContain('a%20b%2Fc');
  });
});
