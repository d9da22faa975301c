import { createContext, type JobRuntime } from './context.js';
import { ShellError } from './errors.js';
import type { JobDef, StepDef } from './pipeline.js';

export type JobResult =
  | { ok: true; output: unknown }
  | { ok: false; phase: 'action' | 'verify'; error: string; exitCode?: number };

/** Runs steps as their needs complete (independent steps concurrently); the first failure stops new steps. */
async function runSteps(steps: StepDef[], runtime: JobRuntime): Promise<Record<string, unknown>> {
  const outputs: Record<string, unknown> = {};
  const done = new Set<string>();
  const started = new Set<string>();
  let failure: unknown;
  await new Promise<void>((resolve) => {
    let running = 0;
    const pump = () => {
      if (failure === undefined) {
        for (const step of steps) {
          if (started.has(step.id) || !step.needs.every((need) => done.has(need))) continue;
          started.add(step.id);
          running += 1;
          runtime.write({ stream: 'system', step: step.id, msg: `step ${step.id} started` });
          Promise.resolve()
            .then(() => step.fn(createContext(runtime, step.id)))
            .then(
              (output) => {
                outputs[step.id] = output;
                done.add(step.id);
                runtime.write({ stream: 'system', step: step.id, msg: `step ${step.id} succeeded` });
              },
              (error: unknown) => {
                failure ??= error;
                runtime.write({
                  stream: 'system',
                  step: step.id,
                  msg: `step ${step.id} failed: ${describe(error)}`,
                });
              },
            )
            .finally(() => {
              running -= 1;
              pump();
            });
        }
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  return outputs;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function failed(phase: 'action' | 'verify', error: unknown, runtime: JobRuntime): JobResult {
  const exitCode = error instanceof ShellError ? error.exitCode : undefined;
  return {
    ok: false,
    phase,
    error: runtime.mask(describe(error)),
    ...(exitCode === undefined ? {} : { exitCode }),
  };
}

/** Executes one job: its steps, then its body (whose return value is the output), then `verify`. */
export async function runJob(job: JobDef, runtime: JobRuntime): Promise<JobResult> {
  let output: unknown;
  try {
    const stepOutputs = job.steps.length > 0 ? await runSteps(job.steps, runtime) : undefined;
    output = job.fn ? await job.fn(createContext(runtime)) : stepOutputs;
  } catch (error) {
    return failed('action', error, runtime);
  }
  if (job.verify) {
    try {
      runtime.write({ stream: 'system', msg: 'verify started' });
      await job.verify(createContext(runtime), output);
    } catch (error) {
      return failed('verify', error, runtime);
    }
  }
  return { ok: true, output: output === undefined ? null : output };
}
