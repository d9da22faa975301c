/** A browser-like client for one origin: keeps the session cookie and the CSRF token. */
export class WebClient {
  cookie: string | null = null;
  csrf: string | null = null;

  constructor(readonly baseUrl: string) {}

  async signIn(token: string): Promise<Response> {
    const response = await this.fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (response.ok) {
      const body = (await response.clone().json()) as { csrf_token: string };
      this.csrf = body.csrf_token;
    }
    return response;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('cookie', this.cookie);
    const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    const set = response.headers.get('set-cookie');
    if (set) {
      const pair = set.split(';')[0]!;
      this.cookie = pair.endsWith('=') ? null : pair;
    }
    return response;
  }
}

/** Reads SSE records (their `id:`) off a streaming response, keeping partial events between reads. */
export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  ended = false;

  constructor(response: Response) {
    this.reader = response.body!.getReader();
  }

  /** Resolves with the ids of the next `count` records, or fewer if the stream ends first. */
  async read(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count && !this.ended) {
      let at = this.buffer.indexOf('\n\n');
      while (at >= 0 && ids.length < count) {
        const block = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        const id = /^id: (\d+)$/m.exec(block);
        if (id) ids.push(Number(id[1]));
        if (/^event: end$/m.test(block)) this.ended = true;
        at = this.buffer.indexOf('\n\n');
      }
      if (ids.length >= count || this.ended) break;
      const { done, value } = await this.reader.read();
      if (done) {
        this.ended = true;
        break;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
    return ids;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}
