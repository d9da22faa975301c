import type { PlanNode, PlanRequest } from '@sparkwing/contracts';
import { PLAN_NODE as PLAN_NODE_ID } from './duration.js';
import { PipelineError } from './errors.js';
import { buildJobs, type JobDef, type Pipeline } from './pipeline.js';

const NODE_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Pipeline-level settings from sparkwing.yaml applied to every job that does not set its own. */
export interface PlanDefaults {
  requires?: string[];
  timeoutMs?: number;
}

function toPlanNode(job: JobDef, defaults: PlanDefaults): PlanNode {
  const node: PlanNode = { id: job.id };
  if (job.needs.length > 0) node.needs = [...job.needs];
  const requires = [...(defaults.requires ?? []), ...job.requires];
  if (requires.length > 0) node.requires = requires;
  const timeoutMs = job.timeoutMs ?? defaults.timeoutMs;
  if (timeoutMs !== undefined) node.timeout_s = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (job.retries > 0) node.retries = job.retries;
  if (Object.keys(job.env).length > 0) node.env = { ...job.env };
  if (job.resources && (job.resources.cpu || job.resources.memory)) node.resources = { ...job.resources };
  if (job.steps.length > 0) {
    node.steps = job.steps.map((step) =>
      step.needs.length > 0 ? { id: step.id, needs: [...step.needs] } : { id: step.id },
    );
  }
  return node;
}

function assertAcyclic(ids: string[], edges: (id: string) => string[], what: string): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new PipelineError(`${what} cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const next of edges(id)) visit(next, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of ids) visit(id, []);
}

/** Checks ids, needs and cycles of jobs and of each job's steps. */
export function validateJobs(jobs: JobDef[]): void {
  if (jobs.length === 0) throw new PipelineError('the pipeline declares no jobs');
  const byId = new Map(jobs.map((job) => [job.id, job]));
  for (const job of jobs) {
    if (!NODE_ID_RE.test(job.id) || job.id === PLAN_NODE_ID) {
      throw new PipelineError(
        `job id "${job.id}" is invalid: use letters, digits, ".", "_" and "-" (not "${PLAN_NODE_ID}")`,
      );
    }
    for (const need of job.needs) {
      if (!byId.has(need)) throw new PipelineError(`job "${job.id}" needs unknown job "${need}"`);
    }
    const stepIds = new Set(job.steps.map((step) => step.id));
    for (const step of job.steps) {
      for (const need of step.needs) {
        if (!stepIds.has(need))
          throw new PipelineError(`job "${job.id}": step "${step.id}" needs unknown step "${need}"`);
      }
    }
    if (!job.fn && job.steps.length === 0)
      throw new PipelineError(`job "${job.id}" has neither a body nor steps`);
    assertAcyclic(
      job.steps.map((step) => step.id),
      (id) => job.steps.find((step) => step.id === id)?.needs ?? [],
      `job "${job.id}": step`,
    );
  }
  assertAcyclic(
    jobs.map((job) => job.id),
    (id) => byId.get(id)?.needs ?? [],
    'job',
  );
}

/**
 * Evaluates the pipeline into the DAG posted to the controller. The definition runs twice and both
 * results must agree: a plan that depends on time, randomness or I/O is refused.
 */
export function evaluatePlan(
  p: Pipeline,
  args: Record<string, string> = {},
  defaults: PlanDefaults = {},
): PlanRequest {
  const evaluate = () => {
    const jobs = buildJobs(p, args);
    validateJobs(jobs);
    return { nodes: jobs.map((job) => toPlanNode(job, defaults)) };
  };
  const first = evaluate();
  const second = evaluate();
  if (JSON.stringify(first) !== JSON.stringify(second)) {
    throw new PipelineError('the pipeline is not deterministic: evaluating it twice gave different plans');
  }
  return first;
}
