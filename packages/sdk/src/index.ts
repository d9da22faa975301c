export { Masker, secretVariants } from './mask.js';
export { ShellError, PipelineError } from './errors.js';
export {
  pipeline,
  isPipeline,
  buildJobs,
  Job,
  PipelineBuilder,
  type Pipeline,
  type JobDef,
  type StepDef,
  type JobFn,
  type VerifyFn,
  type Resources,
} from './pipeline.js';
export { evaluatePlan, validateJobs, type PlanDefaults } from './plan.js';
export type { JobContext, JobRuntime, LogRecord } from './context.js';
export { createContext } from './context.js';
export type { ShellOptions, ShellResult } from './shell.js';
export { runJob, type JobResult } from './run-job.js';
export {
  DOCKER_ENV,
  type DockerBuildOptions,
  type DockerImage,
  dockerBuild,
  dockerPull,
  maskRegistryCredentials,
  qualifyImage,
  runTag,
  waitForDocker,
} from './docker.js';
export type { ChildTask, ChildMessage, ParentMessage } from './protocol.js';
export { childMain } from './child.js';
