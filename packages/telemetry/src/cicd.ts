import type { Attributes } from '@opentelemetry/api';

/**
 * OpenTelemetry CI/CD semantic-convention attribute names (semconv `cicd.*`), plus the few Sparkwing
 * attributes that have no convention. Use these on run, node and step spans.
 */
export const CICD = {
  pipelineName: 'cicd.pipeline.name',
  pipelineRunId: 'cicd.pipeline.run.id',
  pipelineResult: 'cicd.pipeline.result',
  taskName: 'cicd.pipeline.task.name',
  taskRunId: 'cicd.pipeline.task.run.id',
  taskRunResult: 'cicd.pipeline.task.run.result',
  workerId: 'cicd.worker.id',
  nodeAttempt: 'sparkwing.node.attempt',
  failureReason: 'sparkwing.failure_reason',
  stepName: 'sparkwing.step.name',
} as const;

export interface NodeSpanFields {
  runId: string;
  pipeline?: string;
  nodeId?: string;
  attempt?: number;
  runnerId?: string;
}

/**
 * Attributes for a span about one node (task) of a run. `cicd.pipeline.task.run.id` identifies the attempt:
 * `<run>/<node>/<attempt>`.
 */
export function nodeSpanAttributes(fields: NodeSpanFields): Attributes {
  const attrs: Attributes = { [CICD.pipelineRunId]: fields.runId };
  if (fields.pipeline) attrs[CICD.pipelineName] = fields.pipeline;
  if (fields.nodeId) {
    attrs[CICD.taskName] = fields.nodeId;
    attrs[CICD.taskRunId] = `${fields.runId}/${fields.nodeId}/${fields.attempt ?? 1}`;
  }
  if (fields.attempt !== undefined) attrs[CICD.nodeAttempt] = fields.attempt;
  if (fields.runnerId) attrs[CICD.workerId] = fields.runnerId;
  return attrs;
}
