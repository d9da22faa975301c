import type { z } from 'zod';

/** A failed API call as the pages show it: HTTP status (0 = network), envelope code and message. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an API answers 401 (session gone): the app sends the person to sign in. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

async function failureFrom(response: Response): Promise<ApiFailure> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiFailure(
      response.status,
      body.error?.code ?? 'error',
      body.error?.message ?? response.statusText,
    );
  } catch {
    return new ApiFailure(response.status, 'error', `the server answered ${response.status}`);
  }
}

export async function request<S extends z.ZodType>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  schema: S | null,
  body?: unknown,
): Promise<z.infer<S>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiFailure(0, 'network', 'the dashboard server could not be reached');
  }
  if (!response.ok) {
    const failure = await failureFrom(response);
    if (failure.status === 401 && !path.startsWith('/api/session')) onUnauthorized?.();
    throw failure;
  }
  if (response.status === 204 || !schema) return null as z.infer<S>;
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success)
    throw new ApiFailure(
      502,
      'unexpected_response',
      `unexpected answer from ${path}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

export const apiGet = <S extends z.ZodType>(path: string, schema: S) => request('GET', path, schema);
export const apiPost = <S extends z.ZodType>(path: string, schema: S | null, body?: unknown) =>
  request('POST', path, schema, body);

const enc = encodeURIComponent;

/** `GET /runs` filters the dashboard offers (empty values are left out). */
export interface RunFilters {
  pipeline?: string;
  branch?: string;
  event?: string;
  status?: string;
}
export const paths = {
  runs: (limit = 50, cursor?: string, filters: RunFilters = {}) => {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
    return `/api/v1/runs?${query.toString()}`;
  },
  run: (id: string) => `/api/v1/runs/${enc(id)}`,
  cancel: (id: string) => `/api/v1/runs/${enc(id)}/cancel`,
  retry: (id: string) => `/api/v1/runs/${enc(id)}/retry`,
  metrics: (run: string, node: string) => `/api/v1/runs/${enc(run)}/nodes/${enc(node)}/metrics`,
  logStream: (run: string, node: string) => `/api/v1/logs/${enc(run)}/${enc(node)}/stream`,
  pipelines: () => '/api/v1/pipelines',
  runners: () => '/api/v1/runners',
  queue: () => '/api/v1/queue',
};
