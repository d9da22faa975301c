import {
  type ClaimRequest,
  claimResponseSchema,
  type CreateTokenRequest,
  createdTokenSchema,
  healthSchema,
  introspectResponseSchema,
  type MetricPoint,
  metricsResponseSchema,
  CLAIM_TOKEN_HEADER,
  type NodeFinishRequest,
  nodeFinishResponseSchema,
  nodeHeartbeatResponseSchema,
  nodeSchema,
  pipelineListSchema,
  type PlanRequest,
  queueSchema,
  type RunnerHeartbeatRequest,
  runDetailSchema,
  runListSchema,
  runnerListSchema,
  runSchema,
  secretInfoSchema,
  secretListSchema,
  secretValueSchema,
  tokenListSchema,
  type TriggerRequest,
  triggerResponseSchema,
} from '@sparkwing/contracts';
import { z } from 'zod';
import { HttpClient, type HttpOptions } from './http.js';

const enc = encodeURIComponent;
const okSchema = z.object({}).passthrough();

/** Every controller route, one method each. Node-token routes take the token per call. */
export class ControllerClient {
  readonly http: HttpClient;

  constructor(options: HttpOptions) {
    this.http = new HttpClient({ userAgent: 'sparkwing-controller-client', ...options });
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  health() {
    return this.http.call('GET', '/api/v1/health', { schema: healthSchema });
  }

  introspect(token?: string) {
    return this.http.call('POST', '/api/v1/auth/introspect', { schema: introspectResponseSchema, token });
  }

  trigger(body: TriggerRequest) {
    return this.http.call('POST', '/api/v1/triggers', { body, schema: triggerResponseSchema });
  }

  listRuns(
    query: {
      pipeline?: string;
      status?: string;
      branch?: string;
      event?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ) {
    return this.http.call('GET', '/api/v1/runs', { query, schema: runListSchema });
  }

  getRun(runId: string) {
    return this.http.call('GET', `/api/v1/runs/${enc(runId)}`, { schema: runDetailSchema });
  }

  getNode(runId: string, nodeId: string) {
    return this.http.call('GET', `/api/v1/runs/${enc(runId)}/nodes/${enc(nodeId)}`, { schema: nodeSchema });
  }

  deleteRun(runId: string) {
    return this.http.call('DELETE', `/api/v1/runs/${enc(runId)}`);
  }

  cancelRun(runId: string) {
    return this.http.call('POST', `/api/v1/runs/${enc(runId)}/cancel`, {
      schema: z.object({ run: runSchema }),
    });
  }

  retryRun(runId: string) {
    return this.http.call('POST', `/api/v1/runs/${enc(runId)}/retry`, { schema: triggerResponseSchema });
  }

  listPipelines() {
    return this.http.call('GET', '/api/v1/pipelines', { schema: pipelineListSchema });
  }

  queue() {
    return this.http.call('GET', '/api/v1/queue', { schema: queueSchema });
  }

  listRunners() {
    return this.http.call('GET', '/api/v1/runners', { schema: runnerListSchema });
  }

  runnerHeartbeat(body: RunnerHeartbeatRequest) {
    return this.http.call('POST', '/api/v1/runners/heartbeat', { body, schema: okSchema });
  }

  /** Signs a drained runner off so the runner list does not show it as lost. */
  removeRunner(runnerId: string) {
    return this.http.call('DELETE', `/api/v1/runners/${encodeURIComponent(runnerId)}`, { schema: okSchema });
  }

  /** Long-polls for work; `null` when nothing matched within `wait_ms`. */
  claim(body: ClaimRequest, signal?: AbortSignal) {
    return this.http.callOrEmpty('POST', '/api/v1/nodes/claim', {
      body,
      schema: claimResponseSchema,
      signal,
    });
  }

  plan(runId: string, body: PlanRequest, nodeToken: string) {
    return this.http.call('POST', `/api/v1/runs/${enc(runId)}/plan`, {
      body,
      token: nodeToken,
      schema: runDetailSchema,
    });
  }

  startNode(runId: string, nodeId: string, nodeToken: string, body: { runner_id?: string } = {}) {
    return this.http.call('POST', `${nodePath(runId, nodeId)}/start`, {
      body,
      token: nodeToken,
      schema: nodeSchema,
    });
  }

  heartbeatNode(runId: string, nodeId: string, nodeToken: string, body: { status_detail?: string } = {}) {
    return this.http.call('POST', `${nodePath(runId, nodeId)}/heartbeat`, {
      body,
      token: nodeToken,
      schema: nodeHeartbeatResponseSchema,
    });
  }

  /**
   * Reports the result. With `next` (protocol 2) the same call claims the runner's next node, sending this
   * client's token as the claim credential; the answer's `next_claim` is that claim (null: nothing came).
   */
  finishNode(runId: string, nodeId: string, nodeToken: string, body: NodeFinishRequest) {
    const claimToken = body.next ? this.http.defaultToken : undefined;
    return this.http.call('POST', `${nodePath(runId, nodeId)}/finish`, {
      body,
      token: nodeToken,
      schema: nodeFinishResponseSchema,
      ...(claimToken ? { headers: { [CLAIM_TOKEN_HEADER]: claimToken } } : {}),
    });
  }

  postMetrics(runId: string, nodeId: string, nodeToken: string, points: MetricPoint[]) {
    return this.http.call('POST', `${nodePath(runId, nodeId)}/metrics`, {
      body: { points },
      token: nodeToken,
      schema: okSchema,
    });
  }

  getMetrics(runId: string, nodeId: string) {
    return this.http.call('GET', `${nodePath(runId, nodeId)}/metrics`, { schema: metricsResponseSchema });
  }

  runSecret(runId: string, name: string, nodeToken: string) {
    return this.http.call('GET', `/api/v1/runs/${enc(runId)}/secrets/${enc(name)}`, {
      token: nodeToken,
      schema: secretValueSchema,
    });
  }

  createToken(body: CreateTokenRequest) {
    return this.http.call('POST', '/api/v1/tokens', { body, schema: createdTokenSchema });
  }

  listTokens() {
    return this.http.call('GET', '/api/v1/tokens', { schema: tokenListSchema });
  }

  deleteToken(prefix: string) {
    return this.http.call('DELETE', `/api/v1/tokens/${enc(prefix)}`);
  }

  /** Creates or replaces a secret; `scope` limits it to pipelines and protected branches. */
  putSecret(name: string, value: string, scope: { pipelines?: string[]; branches?: string[] } = {}) {
    return this.http.call('POST', '/api/v1/secrets', {
      body: { name, value, ...scope },
      schema: secretInfoSchema,
    });
  }

  listSecrets() {
    return this.http.call('GET', '/api/v1/secrets', { schema: secretListSchema });
  }

  deleteSecret(name: string) {
    return this.http.call('DELETE', `/api/v1/secrets/${enc(name)}`);
  }
}

function nodePath(runId: string, nodeId: string): string {
  return `/api/v1/runs/${enc(runId)}/nodes/${enc(nodeId)}`;
}
