/** Shorter encoded fragments would mask ordinary text; the plain value is masked at any length. */
const MIN_ENCODED = 6;

/**
 * Base64 of `value` as it appears inside a longer encoded text: for each of the 3 byte alignments, the
 * characters that depend only on the secret's own bytes (the first and last groups mix in the neighbours).
 */
function base64Fragments(value: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset += 1) {
    const encoded = Buffer.concat([Buffer.alloc(offset), value]).toString('base64');
    const start = offset === 0 ? 0 : 4;
    const tail = (offset + value.length) % 3 === 0 ? encoded.length : encoded.length - 4;
    const fragment = encoded.slice(start, tail);
    if (fragment.length >= MIN_ENCODED) out.push(fragment);
  }
  const whole = value.toString('base64');
  out.push(whole, whole.replace(/=+$/, ''));
  return out;
}

/** The common encodings a secret leaks through: base64 (and base64url), URL encoding, hex. */
export function secretVariants(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const variants = new Set<string>();
  for (const b64 of base64Fragments(bytes)) {
    variants.add(b64);
    variants.add(b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  variants.add(encodeURIComponent(value));
  variants.add(encodeURIComponent(value).replace(/%20/g, '+'));
  const hex = bytes.toString('hex');
  variants.add(hex);
  variants.add(hex.toUpperCase());
  return [...variants].filter((v) => v !== value && v.length >= MIN_ENCODED);
}

/**
 * Replaces every secret value read so far, and its base64, URL and hex encodings, with `***` in any text
 * that leaves the job: streamed logs, the result tail, errors and (through `maskDeep`) job outputs.
 */
export class Masker {
  private readonly values = new Set<string>();
  private sorted: string[] = [];

  add(value: string): void {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      if (part.trim().length === 0) continue;
      this.values.add(part);
      for (const variant of secretVariants(part)) this.values.add(variant);
    }
    // Longest first so a secret that contains another is masked whole.
    this.sorted = [...this.values].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    let out = text;
    for (const value of this.sorted) out = out.split(value).join('***');
    return out;
  }

  /** `mask` applied to every string (keys included) of a JSON-like value; other values are kept. */
  maskDeep(value: unknown): unknown {
    if (this.values.size === 0) return value;
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((item) => this.maskDeep(item));
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [this.mask(k), this.maskDeep(v)]),
      );
    }
    return value;
  }
}
