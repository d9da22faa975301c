import { z } from 'zod';

export const FAILURE_REASONS = [
  'oom_killed',
  'timeout',
  'agent_lost',
  'queue_timeout',
  'runner_lease_expired',
  'verify',
  'logs_auth',
  'image_pull',
  'unschedulable',
] as const;
export const failureReasonSchema = z.enum(FAILURE_REASONS);
export type FailureReason = z.infer<typeof failureReasonSchema>;

export interface FailureReasonHelp {
  title: string;
  what: string;
  action: string;
}

/** The "what happened / what to do" table every client shows next to a failure reason. */
export const FAILURE_REASON_HELP: Record<FailureReason, FailureReasonHelp> = {
  oom_killed: {
    title: 'Out of memory',
    what: 'The container or process exceeded its memory limit and was killed by the kernel (exit 137).',
    action: "Raise the runner memory limit or reduce the pipeline's memory use; check the resource chart.",
  },
  timeout: {
    title: 'Timed out',
    what: 'The job exceeded its configured execution timeout.',
    action: 'Raise the timeout or optimize the pipeline.',
  },
  agent_lost: {
    title: 'Runner lost',
    what: 'The runner stopped heartbeating (crashed, evicted, or lost network).',
    action: 'Check pod events with kubectl describe pod; may indicate node pressure or a pipeline bug.',
  },
  queue_timeout: {
    title: 'Never picked up',
    what: 'No runner claimed the job within the queue timeout (default 15m).',
    action:
      "Ensure runners are up and their advertised --label set satisfies the pipeline's requires: / the job's requires().",
  },
  runner_lease_expired: {
    title: 'Lease expired',
    what: "The runner holding the node's claim stopped renewing its lease, so the controller reclaimed it.",
    action: "Check the runner's health; the node is safe to retry.",
  },
  verify: {
    title: 'Verification failed',
    what: "The job's action completed, but its verify postcondition returned an error: the failure is at the verify stage, not the action.",
    action: "Inspect the verify assertion and the action's actual output.",
  },
  logs_auth: {
    title: 'Logs rejected',
    what: "The runner's log appends were rejected (401/403) by the logs service, so the node's output could not be stored.",
    action:
      "Check the runner token's logs.write scope; the run fails loud rather than reporting success with no output.",
  },
  image_pull: {
    title: 'Image not pulled',
    what: "The runner pod's image could not be pulled (wrong name or tag, missing pull Secret, registry down), so the node never started.",
    action:
      'Check the runner image and its pull Secrets (controller.dispatcher.runnerImage, global.image.pullSecrets) and the pod events.',
  },
  unschedulable: {
    title: 'Not schedulable',
    what: "No Kubernetes node could take the runner pod (its resources requests exceed every node's allocatable, or selectors and taints exclude them).",
    action:
      "Lower the job's resources() below the largest node, add a node that fits, or fix the dispatcher's nodeSelector/tolerations.",
  },
};
