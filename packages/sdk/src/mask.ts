/** Replaces every secret value read so far with `***` in any text that leaves the job. */
export class Masker {
  private readonly values = new Set<string>();

  add(value: string): void {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      if (part.trim().length > 0) this.values.add(part);
    }
  }

  get size(): number {
    return this.values.size;
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    let out = text;
    // Longest first so a secret that contains another is masked whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) {
      out = out.split(value).join('***');
    }
    return out;
  }
}
