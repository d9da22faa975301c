import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BearerAuthenticator, type Logger, silentLogger } from '@sparkwing/telemetry';
import { createWebMetrics, type WebMetrics } from './metrics.js';
import { introspectAt } from './session/introspect.js';
import { SessionStore } from './session/store.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** An upstream service: its base URL and how to reach it (global fetch, or `app.request` in-process). */
export interface Upstream {
  baseUrl: string;
  fetch: FetchLike;
}

export type WebMode = 'cluster' | 'local';

export interface WebDeps {
  mode: WebMode;
  controller: Upstream;
  logs: Upstream;
  staticDir: string;
  sessions: SessionStore;
  /** Verifies tokens presented at sign-in (the shared authenticator, by controller introspection). */
  auth: BearerAuthenticator;
  /** Local mode acts upstream with this token and needs no sign-in. */
  localToken: string | null;
  /** Cluster mode: the dashboard's own token, used only to probe upstream health. */
  serviceToken: string | null;
  secureCookie: boolean;
  metrics: WebMetrics;
  logger: Logger;
  version: string;
}

export interface WebAppOptions {
  mode: WebMode;
  /** Base URL of the controller; in-process upstreams can use any placeholder such as `http://controller`. */
  controllerUrl?: string;
  controllerFetch?: FetchLike;
  logsUrl?: string;
  logsFetch?: FetchLike;
  /** Built browser app; defaults to `webStaticDir()`. */
  staticDir?: string;
  /** Required in cluster mode; local mode makes a random one per process. */
  sessionSecret?: string;
  sessionTtlMs?: number;
  localToken?: string;
  serviceToken?: string;
  secureCookie?: boolean;
  metrics?: WebMetrics;
  logger?: Logger;
  now?: () => number;
}

/** Where `vite build` put the browser app: `dist/public` next to this package's built `index.js`. */
export function webStaticDir(): string {
  return fileURLToPath(new URL('./public', import.meta.url));
}

const globalFetch: FetchLike = (input, init) => fetch(input, init);

export function buildDeps(options: WebAppOptions): WebDeps {
  if (options.mode === 'cluster' && !options.sessionSecret)
    throw new Error('cluster mode needs a session secret');
  if (options.mode === 'local' && !options.localToken) throw new Error('local mode needs the local token');
  const controller: Upstream = {
    baseUrl: trimSlash(options.controllerUrl ?? 'http://controller'),
    fetch: options.controllerFetch ?? globalFetch,
  };
  return {
    mode: options.mode,
    controller,
    logs: { baseUrl: trimSlash(options.logsUrl ?? 'http://logs'), fetch: options.logsFetch ?? globalFetch },
    staticDir: options.staticDir ?? webStaticDir(),
    sessions: new SessionStore({
      secret: options.sessionSecret ?? randomBytes(32).toString('hex'),
      ttlMs: options.sessionTtlMs ?? 12 * 3_600_000,
      now: options.now,
    }),
    auth: new BearerAuthenticator({ introspect: introspectAt(controller), clock: options.now }),
    localToken: options.localToken ?? null,
    serviceToken: options.serviceToken ?? null,
    secureCookie: options.secureCookie ?? false,
    metrics: options.metrics ?? createWebMetrics(),
    logger: options.logger ?? silentLogger,
    version: '0.1.0',
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
