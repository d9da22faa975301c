/** Every this many seqs the byte offset of the record is remembered. */
const STRIDE = 1_024;

/**
 * Sparse seq → byte offset index of one node file, filled in by scans as they pass checkpoints, so a read
 * after seq N starts near N instead of at the top of the file. Lines never move once complete (files
 * are append-only; only an unterminated tail is ever cut), so a checkpoint stays valid.
 */
export class SeqIndex {
  private readonly offsets: number[] = [];

  /** Remember where the line holding `seq` starts (only at checkpoints). */
  note(seq: number, offset: number): void {
    if ((seq - 1) % STRIDE !== 0) return;
    const slot = (seq - 1) / STRIDE;
    if (slot <= this.offsets.length) this.offsets[slot] = offset;
  }

  /** The latest known offset of a line whose seq is at most `seq` (0 = the file's start). */
  floor(seq: number): number {
    if (seq < 1 || this.offsets.length === 0) return 0;
    const slot = Math.min(Math.floor((seq - 1) / STRIDE), this.offsets.length - 1);
    return this.offsets[slot] ?? 0;
  }
}

/** Indexes of recently read node files, bounded in count (least recently used dropped). */
export class SeqIndexCache {
  private readonly indexes = new Map<string, SeqIndex>();

  constructor(private readonly max = 4_096) {}

  get(key: string): SeqIndex {
    let index = this.indexes.get(key);
    if (index) {
      this.indexes.delete(key);
    } else {
      index = new SeqIndex();
      if (this.indexes.size >= this.max) {
        const oldest = this.indexes.keys().next().value;
        if (oldest !== undefined) this.indexes.delete(oldest);
      }
    }
    this.indexes.set(key, index);
    return index;
  }

  dropPrefix(prefix: string): void {
    for (const key of [...this.indexes.keys()]) if (key.startsWith(prefix)) this.indexes.delete(key);
  }
}
