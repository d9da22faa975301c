const MAX_LINES = 20;
const MAX_BYTES = 4 * 1024;

/** The last 20 lines of a node's output, at most 4 KiB, for the finish `result.logs`. */
export class LogTail {
  private lines: string[] = [];

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }

  text(): string {
    let out = this.lines.join('\n');
    while (Buffer.byteLength(out) > MAX_BYTES) {
      const cut = out.indexOf('\n');
      out = cut === -1 ? Buffer.from(out).subarray(-MAX_BYTES).toString('utf8') : out.slice(cut + 1);
    }
    return out;
  }
}
