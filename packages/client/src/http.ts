import { errorEnvelopeSchema } from '@sparkwing/contracts';
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
}

export class HttpClient {
  readonly baseUrl: string;
  private readonly token?: string;
  private readonly doFetch: FetchLike;
  private readonly userAgent: string;

  constructor(options: HttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.userAgent = options.userAgent ?? 'sparkwing-client';
  }

  /** Sends a request; 2xx bodies are validated with `schema`, no schema (or 204) yields `null`. */
  async call<S extends z.ZodType>(
    method: string,
    path: string,
    options: CallOptions<S> = {},
  ): Promise<z.infer<S>> {
    const response = await this.send(method, path, options);
    if (response.status === 204 || !options.schema) {
      await response.body?.cancel();
      return null as z.infer<S>;
    }
    return this.parse(response, options.schema, method, path);
  }

  /** Like `call` but a 204 is `null` (the long-poll claim's "nothing ready"). */
  async callOrEmpty<S extends z.ZodType>(
    method: string,
    path: string,
    options: CallOptions<S> & { schema: S },
  ) {
    const response = await this.send(method, path, options);
    if (response.status === 204) {
      await response.body?.cancel();
      return null;
    }
    return this.parse(response, options.schema, method, path);
  }

  /** The raw response for streaming routes (SSE, NDJSON, tarballs); non-2xx still throws. */
  async raw(
    method: string,
    path: string,
    options: Omit<CallOptions<undefined>, 'schema'> & { headers?: Record<string, string> } = {},
  ) {
    return this.send(method, path, options);
  }

  private async send(
    method: string,
    path: string,
    options: Omit<CallOptions<z.ZodType | undefined>, 'schema'> & { headers?: Record<string, string> },
  ): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...options.headers,
    };
    const token = options.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.doFetch(url.toString(), {
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
    response: Response,
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

async function toClientError(response: Response): Promise<ClientError> {
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
      text.slice(0, 500) || response.statusText,
    );
  }
}
