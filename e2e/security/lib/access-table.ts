import type { Scope } from '@sparkwing/contracts';
import type { ServiceName } from './routes.js';

/**
 * Who may call a route:
 * - `public`: anyone (health, metrics, static files, the proxy).
 * - `api`: an API token with `scope` (`admin` satisfies any); node tokens: `none` refused, `own` only for
 *   the run (and node) in the path, `any` any valid one. `mirror-admin`: a service token with runs.write.
 * - `node`: only the node token of the node in the path (an expired one is a lost lease: 409).
 * - `any-token`: any valid bearer.
 * - `hmac`: a GitHub signature over the body.
 * - `session`: a dashboard session whose token has `scope` upstream; `csrf` routes also need the header.
 * - `sign-in`: the dashboard's sign-in (people's tokens only).
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'api'; scope: Scope | 'mirror-admin'; node: 'none' | 'own' | 'any' }
  | { kind: 'node' }
  | { kind: 'any-token' }
  | { kind: 'hmac' }
  | { kind: 'session'; scope: Scope; csrf?: boolean }
  | { kind: 'sign-in' };

export interface RouteEntry {
  access: Access;
  /** Concrete path (query included) when substituting the template's parameters is not enough. */
  path?: string;
  /** Body of every row (rows must pass auth to reach it; make it refuse or do nothing harmful). */
  body?: string;
  contentType?: string;
  /** Statuses the right-scope row may get besides any 2xx–4xx other than 401/403. */
  rightMayBe?: number[];
}

const api = (scope: Scope | 'mirror-admin', node: 'none' | 'own' | 'any' = 'none'): Access => ({
  kind: 'api',
  scope,
  node,
});
const JSON_EMPTY = { body: '{}', contentType: 'application/json' };

/** Every route of every service. A route missing here fails the matrix. */
export const ACCESS_TABLE: Record<ServiceName, Record<string, RouteEntry>> = {
  controller: {
    'GET /api/v1/health': { access: { kind: 'public' } },
    'GET /metrics': { access: { kind: 'public' } },
    'GET /api/v1/metrics': { access: { kind: 'public' } },
    'POST /webhooks/github/:pipeline': {
      access: { kind: 'hmac' },
      body: '{"zen":"hi"}',
      contentType: 'application/json',
    },
    'POST /webhooks/github': {
      access: { kind: 'hmac' },
      body: '{"zen":"hi"}',
      contentType: 'application/json',
    },
    'POST /api/v1/triggers': { access: api('runs.write'), ...JSON_EMPTY },
    'GET /api/v1/runs': { access: api('runs.read') },
    'GET /api/v1/runs/:id': { access: api('runs.read', 'own') },
    'DELETE /api/v1/runs/:id': { access: api('admin'), path: '/api/v1/runs/run_does_not_exist' },
    'POST /api/v1/runs/:id/cancel': {
      access: api('runs.write'),
      path: '/api/v1/runs/run_does_not_exist/cancel',
    },
    'POST /api/v1/runs/:id/retry': {
      access: api('runs.write'),
      path: '/api/v1/runs/run_does_not_exist/retry',
    },
    'POST /api/v1/runs/:id/plan': { access: { kind: 'node' }, ...JSON_EMPTY },
    'GET /api/v1/runs/:id/secrets/:name': {
      access: { kind: 'node' },
      path: '/api/v1/runs/{run}/secrets/NO_SUCH_SECRET',
    },
    'POST /api/v1/nodes/claim': { access: api('nodes.claim'), ...JSON_EMPTY },
    'POST /api/v1/runs/:id/nodes/:nodeID/start': { access: { kind: 'node' }, ...JSON_EMPTY },
    'POST /api/v1/runs/:id/nodes/:nodeID/heartbeat': { access: { kind: 'node' }, ...JSON_EMPTY },
    'POST /api/v1/runs/:id/nodes/:nodeID/finish': { access: { kind: 'node' }, ...JSON_EMPTY },
    'GET /api/v1/runs/:id/nodes/:nodeID': { access: api('runs.read', 'own') },
    'POST /api/v1/runs/:id/nodes/:nodeID/metrics': { access: { kind: 'node' }, ...JSON_EMPTY },
    'GET /api/v1/runs/:id/nodes/:nodeID/metrics': { access: api('runs.read', 'own') },
    'POST /api/v1/runners/heartbeat': { access: api('nodes.claim'), ...JSON_EMPTY },
    'GET /api/v1/runners': { access: api('runs.read') },
    'DELETE /api/v1/runners/:runner_id': {
      access: api('nodes.claim'),
      path: '/api/v1/runners/no-such-runner',
    },
    'GET /api/v1/queue': { access: api('runs.read') },
    'GET /api/v1/pipelines': { access: api('runs.read') },
    'POST /api/v1/tokens': { access: api('admin'), ...JSON_EMPTY },
    'GET /api/v1/tokens': { access: api('admin') },
    'DELETE /api/v1/tokens/:prefix': { access: api('admin'), path: '/api/v1/tokens/swt_nosuchprefix' },
    'POST /api/v1/secrets': { access: api('admin'), ...JSON_EMPTY },
    'GET /api/v1/secrets': { access: api('admin') },
    'DELETE /api/v1/secrets/:name': { access: api('admin'), path: '/api/v1/secrets/NO_SUCH_SECRET' },
    'POST /api/v1/auth/introspect': { access: { kind: 'any-token' } },
  },
  logs: {
    'GET /api/v1/health': { access: { kind: 'public' } },
    'GET /metrics': { access: { kind: 'public' } },
    'GET /api/v1/logs/search': { access: api('logs.read'), path: '/api/v1/logs/search?q=x' },
    'GET /api/v1/logs/:runId': { access: api('logs.read') },
    'DELETE /api/v1/logs/:runId': { access: api('logs.write'), path: '/api/v1/logs/run_does_not_exist' },
    'POST /api/v1/logs/:runId/:nodeId': {
      access: api('logs.write', 'own'),
      body: '',
      contentType: 'application/x-ndjson',
    },
    'GET /api/v1/logs/:runId/:nodeId': { access: api('logs.read', 'own') },
    'GET /api/v1/logs/:runId/:nodeId/stream': { access: api('logs.read', 'own') },
  },
  cache: {
    'GET /health': { access: { kind: 'public' } },
    'GET /metrics': { access: { kind: 'public' } },
    'GET /proxy/:registry/*': { access: { kind: 'public' }, path: '/proxy/nosuch/pkg' },
    'HEAD /proxy/:registry/*': { access: { kind: 'public' }, path: '/proxy/nosuch/pkg' },
    'GET /git/repos': { access: api('runs.read', 'any') },
    'POST /git/repos': {
      access: api('mirror-admin'),
      body: '{"name":"refused","url":"https://127.0.0.1/x.git"}',
      contentType: 'application/json',
    },
    'POST /git/repos/:name/refresh': { access: api('mirror-admin') },
    'GET /git/:name/info/refs': {
      access: api('runs.read', 'any'),
      path: '/git/nosuch/info/refs?service=git-upload-pack',
    },
    'POST /git/:name/git-upload-pack': { access: api('runs.read', 'any') },
    'POST /git/:name/git-receive-pack': { access: api('runs.read', 'any'), rightMayBe: [403] },
    'GET /archive': { access: api('runs.read', 'any'), path: '/archive?repo=nosuch&ref=main' },
    'GET /file': { access: api('runs.read', 'any'), path: '/file?repo=nosuch&ref=main&path=a' },
    'GET /changes': { access: api('runs.read', 'any'), path: '/changes?repo=nosuch&base=main&head=main' },
    'POST /sync/negotiate': { access: api('runs.write'), ...JSON_EMPTY },
    'POST /upload': { access: api('runs.write'), body: 'not a tarball', contentType: 'application/gzip' },
    'GET /uploads/:ref': { access: api('runs.read', 'any'), path: `/uploads/up_${'0'.repeat(64)}` },
    'GET /bin/:key': { access: api('runs.read', 'any') },
    'HEAD /bin/:key': { access: api('runs.read', 'any') },
    'PUT /bin/:key': { access: api('admin', 'any'), body: 'x', contentType: 'application/octet-stream' },
    'GET /cache/:key': { access: api('runs.read', 'any') },
    'HEAD /cache/:key': { access: api('runs.read', 'any') },
    'PUT /cache/:key': {
      access: api('runs.write', 'any'),
      body: 'x',
      contentType: 'application/octet-stream',
    },
    'GET /artifacts/:runID': { access: api('runs.read', 'own') },
    'GET /artifacts/:runID/*': { access: api('runs.read', 'own') },
    'HEAD /artifacts/:runID/*': { access: api('runs.read', 'own') },
    'PUT /artifacts/:runID/*': {
      access: api('admin', 'own'),
      body: 'x',
      contentType: 'application/octet-stream',
    },
  },
  web: {
    'GET /api/health': { access: { kind: 'public' } },
    'GET /metrics': { access: { kind: 'public' } },
    'GET /api/session': { access: { kind: 'public' } },
    'POST /api/session': { access: { kind: 'sign-in' } },
    'DELETE /api/session': { access: { kind: 'public' }, rightMayBe: [401] },
    'GET /api/v1/runs': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/runs/:id': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/runs/:id/nodes/:node': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/runs/:id/nodes/:node/metrics': { access: { kind: 'session', scope: 'runs.read' } },
    'POST /api/v1/runs/:id/cancel': {
      access: { kind: 'session', scope: 'runs.write', csrf: true },
      path: '/api/v1/runs/run_does_not_exist/cancel',
    },
    'POST /api/v1/runs/:id/retry': {
      access: { kind: 'session', scope: 'runs.write', csrf: true },
      path: '/api/v1/runs/run_does_not_exist/retry',
    },
    'GET /api/v1/pipelines': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/runners': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/queue': { access: { kind: 'session', scope: 'runs.read' } },
    'GET /api/v1/logs/search': {
      access: { kind: 'session', scope: 'logs.read' },
      path: '/api/v1/logs/search?q=x',
    },
    'GET /api/v1/logs/:run': { access: { kind: 'session', scope: 'logs.read' } },
    'GET /api/v1/logs/:run/:node': { access: { kind: 'session', scope: 'logs.read' } },
    'GET /api/v1/logs/:run/:node/stream': { access: { kind: 'session', scope: 'logs.read' } },
    'GET /assets/*': { access: { kind: 'public' }, path: '/assets/nosuch.js' },
    'GET /favicon.svg': { access: { kind: 'public' } },
    'GET /': { access: { kind: 'public' } },
    'GET /*': { access: { kind: 'public' }, path: '/no/such/page' },
    // Browser pages of the single-page app (data comes through the session-checked API routes).
    'GET /pipelines': { access: { kind: 'public' } },
    'GET /queue': { access: { kind: 'public' } },
    'GET /runners': { access: { kind: 'public' } },
    'GET /runs/:id': { access: { kind: 'public' } },
    'GET /runs/:id/nodes/:node': { access: { kind: 'public' } },
    'GET /sign-in': { access: { kind: 'public' } },
  },
};
