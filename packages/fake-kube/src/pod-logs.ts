import { badRequest } from './errors.js';

interface LogLine {
  time: string;
  text: string;
}

/** Retained output of one container, rotated like the kubelet's log files once it exceeds a byte budget. */
export class ContainerLog {
  private lines: LogLine[] = [];
  private bytes = 0;
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private readonly waiters = new Set<() => void>();
  ended = false;

  constructor(private readonly maxBytes = 10 * 1024 * 1024) {}

  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const parts = text.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.push(part);
  }

  private push(text: string): void {
    this.lines.push({ time: new Date().toISOString(), text });
    this.bytes += Buffer.byteLength(text) + 1;
    while (this.bytes > this.maxBytes && this.lines.length > 1) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!.text) + 1;
    }
    for (const wake of [...this.waiters]) wake();
  }

  /** Flushes unterminated output; the log is complete after this. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream]) this.push(this.partial[stream]);
      this.partial[stream] = '';
    }
    this.ended = true;
    for (const wake of [...this.waiters]) wake();
  }

  onChange(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  /** The text `pods/log` returns for these query options, `limitBytes` applied last as the API server does. */
  read(options: {
    tailLines?: number;
    limitBytes?: number;
    timestamps?: boolean;
    sinceSeconds?: number;
  }): string {
    let selected = this.lines;
    if (options.sinceSeconds !== undefined) {
      const from = Date.now() - options.sinceSeconds * 1000;
      selected = selected.filter((l) => Date.parse(l.time) >= from);
    }
    if (options.tailLines !== undefined) {
      if (options.tailLines < 0)
        throw badRequest('tailLines: Invalid value: must be greater than or equal to 0');
      selected = options.tailLines === 0 ? [] : selected.slice(-options.tailLines);
    }
    const text = selected.map((l) => `${options.timestamps ? `${l.time} ` : ''}${l.text}\n`).join('');
    if (options.limitBytes === undefined) return text;
    if (options.limitBytes < 1) throw badRequest('limitBytes: Invalid value: must be greater than 0');
    return Buffer.from(text).subarray(0, options.limitBytes).toString();
  }

  get lineCount(): number {
    return this.lines.length;
  }
}
