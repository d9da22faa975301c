import { Readable } from 'node:stream';
import { errorEnvelopeSchema } from '@sparkwing/contracts';
import { Agent, request } from 'undici';
import type { z } from 'zod';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Any non-2xx answer: the envelope's code and message, or a transport failure (`status` 0). */
export class ClientError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;

  constructor(status: number, code: string, message: string, requestId: string | null = null) {
    super(message);
    this.name = 'ClientError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

export interface HttpOptions {
  baseUrl: string;
  token?: string;
  /** Injected fetch: in-process apps (`app.request`) in local mode, global fetch otherwise. */
  fetch?: FetchLike;
  userAgent?: string;
}

export interface CallOptions<S extends z.ZodType | undefined = undefined> {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  token?: string;
  schema?: S;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Non-2xx statuses answered like a 2xx instead of thrown (e.g. a health check's 503, a blob's 404). */
  acceptStatuses?: readonly number[];
  /** Sent instead of a JSON body, with `contentType` (default `application/octet-stream`). */
  binary?: BinaryBody;
  contentType?: string;
}

/** A request body sent as is (uploads, blobs); streams are sent without buffering. */
export type BinaryBody = Uint8Array | Readable | ReadableStream<Uint8Array>;

export type RawOptions = Omit<CallOptions<undefined>, 'schema'>;

/** What `call` needs of an answer, from either transport. */
interface Reply {
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
  discard(): Promise<void>;
}

const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD']);

let pool: Agent | undefined;
/** The platform's fetch; when something replaced it (tracing's `instrumentFetch`), calls go through that. */
const NATIVE_FETCH = globalThis.fetch;
/**
 * One keep-alive connection pool per process for JSON calls (undici's `request` skips the WHATWG
 * Request/Response/stream objects `fetch` builds per call, which measurably cost a runner's CPU).
 */
function sharedPool(): Agent {
  pool ??= new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  return pool;
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly doFetch: FetchLike;
  /** JSON calls go through the shared undici pool unless a fetch was injected (in-process apps). */
  private readonly pooled: boolean;
  private readonly userAgent: string;

  constructor(options: HttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.pooled = !options.fetch;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.userAgent = options.userAgent ?? 'sparkwing-client';
  }

  /** The token calls carry unless they pass their own. */
  get defaultToken(): string | undefined {
    return this.token;
  }

  /** Sends a request; 2xx bodies are validated with `schema`, no schema (or 204) yields `null`. */
  async call<S extends z.ZodType>(
    method: string,
    path: string,
    options: CallOptions<S> = {},
  ): Promise<z.infer<S>> {
    const reply = await this.exchange(method, path, options);
    if (reply.status === 204 || !options.schema) {
      await reply.discard();
      return null as z.infer<S>;
    }
    return this.parse(reply, options.schema, method, path);
  }

  /** Like `call` but a 204 is `null` (the long-poll claim's "nothing ready"). */
  async callOrEmpty<S extends z.ZodType>(
    method: string,
    path: string,
    options: CallOptions<S> & { schema: S },
  ) {
    const reply = await this.exchange(method, path, options);
    if (reply.status === 204) {
      await reply.discard();
      return null;
    }
    return this.parse(reply, options.schema, method, path);
  }

  /** A JSON exchange over the pool (or the injected fetch); non-2xx throws the decoded envelope. */
  private async exchange(method: string, path: string, options: RawOptions): Promise<Reply> {
    // Binary uploads stream through fetch; JSON calls take the pool, unless tracing wraps fetch to record
    // each run's client spans (the pool would bypass it).
    if (!this.pooled || options.binary !== undefined || globalThis.fetch !== NATIVE_FETCH) {
      const response = await this.send(method, path, options);
      return {
        status: response.status,
        json: () => response.json(),
        text: () => response.text(),
        discard: async () => void (await response.body?.cancel()),
      };
    }
    const { url, headers } = this.prepare(path, options);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let answer: Awaited<ReturnType<typeof request>> | undefined;
    // A pooled keep-alive socket the server just closed fails at once: idempotent reads are retried.
    const attempts = IDEMPOTENT.has(method) ? 3 : 1;
    for (let attempt = 1; !answer; attempt += 1) {
      try {
        answer = await request(url, {
          dispatcher: sharedPool(),
          method: method as 'GET',
          headers,
          body,
          signal: options.signal,
        });
      } catch (error) {
        if (attempt < attempts && !options.signal?.aborted) {
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          continue;
        }
        throw new ClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
      }
    }
    const reply: Reply = {
      status: answer.statusCode,
      json: () => answer.body.json(),
      text: () => answer.body.text(),
      discard: () => answer.body.dump(),
    };
    const ok = reply.status >= 200 && reply.status <= 299;
    if (!ok && !options.acceptStatuses?.includes(reply.status)) throw await toClientError(reply);
    return reply;
  }

  /**
   * The raw response for streaming routes (SSE, NDJSON, tarballs, blobs) and binary uploads; non-2xx
   * still throws unless listed in `acceptStatuses`.
   */
  async raw(method: string, path: string, options: RawOptions = {}) {
    return this.send(method, path, options);
  }

  private prepare(path: string, options: RawOptions): { url: string; headers: Record<string, string> } {
    let url = `${this.baseUrl}${path}`;
    const query = options.query
      ? Object.entries(options.query).filter(
          (entry): entry is [string, string | number] => entry[1] !== undefined,
        )
      : [];
    if (query.length > 0) {
      const u = new URL(url);
      for (const [key, value] of query) u.searchParams.set(key, String(value));
      url = u.toString();
    }
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...options.headers,
    };
    const token = options.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.binary !== undefined)
      headers['content-type'] = options.contentType ?? 'application/octet-stream';
    else if (options.body !== undefined) headers['content-type'] = 'application/json';
    return { url, headers };
  }

  private async send(method: string, path: string, options: RawOptions): Promise<Response> {
    const { url, headers } = this.prepare(path, options);
    const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: options.signal };
    const binary = options.binary;
    if (binary instanceof Uint8Array) {
      init.body = binary;
    } else if (binary !== undefined) {
      init.body =
        binary instanceof Readable ? (Readable.toWeb(binary) as ReadableStream<Uint8Array>) : binary;
      init.duplex = 'half';
    } else if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.doFetch(url, init);
    } catch (error) {
      throw new ClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    if (!response.ok && !options.acceptStatuses?.includes(response.status))
      throw await toClientError(response);
    return response;
  }

  private async parse<S extends z.ZodType>(
    response: Reply,
    schema: S,
    method: string,
    path: string,
  ): Promise<z.infer<S>> {
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new ClientError(
        response.status,
        'bad_response',
        `unexpected response from ${method} ${path}: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }
}

async function toClientError(response: {
  status: number;
  statusText?: string;
  text(): Promise<string>;
}): Promise<ClientError> {
  const text = await response.text();
  try {
    const envelope = errorEnvelopeSchema.parse(JSON.parse(text));
    return new ClientError(
      response.status,
      envelope.error.code,
      envelope.error.message,
      envelope.error.request_id,
    );
  } catch {
    return new ClientError(
      response.status,
      `http_${response.status}`,
      text.slice(0, 500) || response.statusText || `HTTP ${response.status}`,
    );
  }
}
