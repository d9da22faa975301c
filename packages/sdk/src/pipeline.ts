// The zod-free entry: this module is compiled into every pipeline bundle.
import { parseDuration } from '@sparkwing/contracts/duration';
import type { JobContext } from './context.js';
import { PipelineError } from './errors.js';

export type JobFn<T> = (ctx: JobContext) => T | Promise<T>;
export type VerifyFn<T> = (ctx: JobContext, output: T) => void | Promise<void>;

export interface Resources {
  /** Kubernetes CPU quantity, e.g. `500m`. */
  cpu?: string;
  /** Kubernetes memory quantity, e.g. `512Mi`; the runner enforces it through a cgroup where it can. */
  memory?: string;
}

export interface StepDef {
  id: string;
  needs: string[];
  fn: JobFn<unknown>;
}

/** Everything a job declares; read by plan evaluation and by the runtime that executes it. */
export interface JobDef {
  id: string;
  fn: JobFn<unknown> | undefined;
  needs: string[];
  requires: string[];
  timeoutMs: number | undefined;
  retries: number;
  retryBackoffMs: number | undefined;
  env: Record<string, string>;
  resources: Resources | undefined;
  steps: StepDef[];
  verify: VerifyFn<unknown> | undefined;
}

/** A DAG node. `T` is the job's output type, readable by dependents through `ctx.output(job)`. */
export class Job<T = unknown> {
  /** @internal */
  readonly def: JobDef;

  constructor(id: string, fn: JobFn<T> | undefined) {
    this.def = {
      id,
      fn: fn as JobFn<unknown> | undefined,
      needs: [],
      requires: [],
      timeoutMs: undefined,
      retries: 0,
      retryBackoffMs: undefined,
      env: {},
      resources: undefined,
      steps: [],
      verify: undefined,
    };
  }

  get id(): string {
    return this.def.id;
  }

  /** Runs after every listed job succeeded. */
  needs(...jobs: Array<Job<unknown> | string>): this {
    for (const job of jobs) {
      const id = typeof job === 'string' ? job : job.id;
      if (!this.def.needs.includes(id)) this.def.needs.push(id);
    }
    return this;
  }

  /** Runner label terms that must all match; commas inside a term are alternatives. */
  requires(...labels: string[]): this {
    this.def.requires.push(...labels);
    return this;
  }

  /**
   * Asks for a warm cache volume from the named pool (runner label term `cache:<pool>`): on Kubernetes the
   * dispatcher checks a PVC out of that pool for the job and returns it when the job ends.
   */
  cache(pool: string): this {
    if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(pool)) {
      throw new PipelineError(`cache("${pool}"): a pool name is a DNS label of at most 32 characters`);
    }
    return this.requires(`cache:${pool}`);
  }

  /** Runs where a Docker daemon is reachable (DOCKER_HOST) with a warm layer cache: `cache('docker')`. */
  docker(): this {
    return this.cache('docker');
  }

  /** Execution timeout: a duration (`30s`, `5m`) or milliseconds. */
  timeout(value: string | number): this {
    this.def.timeoutMs = typeof value === 'number' ? value : parseDuration(value);
    return this;
  }

  /** Re-queues the job up to `times` more times when it fails. */
  retry(times: number, backoff?: string | number): this {
    if (!Number.isInteger(times) || times < 0)
      throw new PipelineError(`retry(${times}): use a whole number >= 0`);
    this.def.retries = times;
    this.def.retryBackoffMs =
      backoff === undefined ? undefined : typeof backoff === 'number' ? backoff : parseDuration(backoff);
    return this;
  }

  /** A postcondition run after the action succeeded; throwing fails the job with reason `verify`. */
  verify(fn: VerifyFn<T>): this {
    this.def.verify = fn as VerifyFn<unknown>;
    return this;
  }

  env(vars: Record<string, string>): this {
    Object.assign(this.def.env, vars);
    return this;
  }

  resources(resources: Resources): this {
    this.def.resources = { ...this.def.resources, ...resources };
    return this;
  }

  /** An in-process unit of the job body; steps run once their own `needs` finished. */
  step(id: string, fn: JobFn<unknown>, options: { needs?: string[] } = {}): this {
    if (this.def.steps.some((step) => step.id === id)) {
      throw new PipelineError(`job "${this.id}": duplicate step "${id}"`);
    }
    this.def.steps.push({ id, needs: options.needs ?? [], fn });
    return this;
  }
}

/** Handed to a pipeline's definition function. */
export class PipelineBuilder {
  readonly args: Readonly<Record<string, string>>;
  /** @internal */
  readonly jobs: Job<unknown>[] = [];

  constructor(args: Record<string, string>) {
    this.args = Object.freeze({ ...args });
  }

  /** Declares a job. Its body may be omitted when the job only runs steps. */
  job<T = void>(id: string, fn?: JobFn<T>): Job<T> {
    if (this.jobs.some((job) => job.id === id)) throw new PipelineError(`duplicate job "${id}"`);
    const job = new Job<T>(id, fn);
    this.jobs.push(job as Job<unknown>);
    return job;
  }
}

export const PIPELINE_MARK = Symbol.for('sparkwing.pipeline');

export interface Pipeline {
  readonly [PIPELINE_MARK]: true;
  readonly description: string | undefined;
  /** @internal */
  readonly define: (p: PipelineBuilder) => void;
}

/** Declares a pipeline: `export const ci = pipeline((p) => { p.job('lint', …) })`. */
export function pipeline(
  define: (p: PipelineBuilder) => void,
  options: { description?: string } = {},
): Pipeline {
  return { [PIPELINE_MARK]: true, description: options.description, define };
}

export function isPipeline(value: unknown): value is Pipeline {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PIPELINE_MARK] === true
  );
}

/** Runs the definition function once and returns the declared jobs. */
export function buildJobs(p: Pipeline, args: Record<string, string>): JobDef[] {
  const builder = new PipelineBuilder(args);
  p.define(builder);
  return builder.jobs.map((job) => job.def);
}
