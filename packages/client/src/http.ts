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
}

/** What `call` needs of an answer, from either transport. */
interface Reply {
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
  discard(): Promise<void>;
}

let pool: Agent | undefined;
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
  private async exchange(
    method: string,
    path: string,
    options: Omit<CallOptions<z.ZodType | undefined>, 'schema'>,
  ): Promise<Reply> {
    if (!this.pooled) {
      const response = await this.send(method, path, options);
      return {
        status: response.status,
        json: () => response.json(),
        text: () => response.text(),
        discard: async () => void (await response.body?.cancel()),
      };
    }
    const { url, headers } = this.prepare(path, options);
    let answer: Awaited<ReturnType<typeof request>>;
    try {
      answer = await request(url, {
        dispatcher: sharedPool(),
        method: method as 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      throw new ClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    const reply: Reply = {
      status: answer.statusCode,
      json: () => answer.body.json(),
      text: () => answer.body.text(),
      discard: () => answer.body.dump(),
    };
    if (reply.status < 200 || reply.status > 299) throw await toClientError(reply);
    return reply;
  }

  /** The raw response for streaming routes (SSE, NDJSON, tarballs); non-2xx still throws. */
  async raw(
    method: string,
    path: string,
    options: Omit<CallOptions<undefined>, 'schema'> & { headers?: Record<string, string> } = {},
  ) {
    return this.send(method, path, options);
  }

  private prepare(
    path: string,
    options: Omit<CallOptions<z.ZodType | undefined>, 'schema'>,
  ): { url: string; headers: Record<string, string> } {
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
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return { url, headers };
  }

  private async send(
    method: string,
    path: string,
    options: Omit<CallOptions<z.ZodType | undefined>, 'schema'>,
  ): Promise<Response> {
    const { url, headers } = this.prepare(path, options);
    let response: Response;
    try {
      response = await this.doFetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      throw new ClientError(0, 'unreachable', `cannot reach ${this.baseUrl}: ${(error as Error).message}`);
    }
    if (!response.ok) throw await toClientError(response);
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
