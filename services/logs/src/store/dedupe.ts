/** A contiguous span of one writer's records: client_seq `cs..cs+len-1` stored as seq `seq..seq+len-1`. */
interface Span {
  cs: number;
  seq: number;
  len: number;
}

interface WriterState {
  maxCs: number;
  spans: Span[];
}

const MAX_SPANS_PER_WRITER = 64;
const MAX_WRITERS_PER_NODE = 256;

/**
 * Per-node memory of which `client_seq` values each writer already stored. A writer's client_seq is
 * monotonic, so "at or below the writer's maximum" means duplicate; recent spans remember the seq a
 * duplicate was stored as so a retried batch gets its original seq range back. Bounded in writers and spans.
 */
export class DedupeIndex {
  private readonly writers = new Map<string, WriterState>();

  /** Seq already assigned to (writer, cs), `null` if a duplicate whose seq is forgotten, `undefined` if new. */
  lookup(writer: string, cs: number): number | null | undefined {
    const state = this.writers.get(writer);
    if (!state || cs > state.maxCs) return undefined;
    for (let i = state.spans.length - 1; i >= 0; i--) {
      const span = state.spans[i]!;
      if (cs >= span.cs && cs < span.cs + span.len) return span.seq + (cs - span.cs);
    }
    return null;
  }

  record(writer: string, cs: number, seq: number): void {
    let state = this.writers.get(writer);
    if (!state) {
      if (this.writers.size >= MAX_WRITERS_PER_NODE) {
        const oldest = this.writers.keys().next().value;
        if (oldest !== undefined) this.writers.delete(oldest);
      }
      state = { maxCs: 0, spans: [] };
      this.writers.set(writer, state);
    }
    state.maxCs = Math.max(state.maxCs, cs);
    const last = state.spans[state.spans.length - 1];
    if (last && last.cs + last.len === cs && last.seq + last.len === seq) {
      last.len += 1;
      return;
    }
    state.spans.push({ cs, seq, len: 1 });
    if (state.spans.length > MAX_SPANS_PER_WRITER) state.spans.shift();
  }

  /** Copy of one writer's state, to roll back a failed write. */
  snapshot(writer: string): WriterState | undefined {
    const state = this.writers.get(writer);
    return state ? { maxCs: state.maxCs, spans: state.spans.map((s) => ({ ...s })) } : undefined;
  }

  restore(writer: string, state: WriterState | undefined): void {
    if (state) this.writers.set(writer, state);
    else this.writers.delete(writer);
  }
}
