import { randomBytes } from 'node:crypto';
import type { ObjectStore } from './store.js';
import { type Job, type JobCondition, type KubeObject, now, type Pod } from './types.js';

export interface JobControllerOptions {
  recordEvent: (
    involved: KubeObject,
    kind: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => void;
  /** Deletes an object the way the API would (propagation included). */
  deleteObject: (
    kind: 'jobs' | 'pods',
    namespace: string,
    name: string,
    policy: 'Background' | 'Foreground',
  ) => void;
}

const condition = (type: string, reason: string, message: string): JobCondition => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: now(),
  lastTransitionTime: now(),
});

const isFinished = (job: Job): boolean =>
  (job.status.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );

/**
 * The batch/v1 Job controller: one pod at a time (completions 1), backoffLimit retries,
 * activeDeadlineSeconds, and ttlSecondsAfterFinished reaping.
 */
export class FakeJobController {
  private readonly counted = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: () => void = () => {};

  constructor(
    private readonly store: ObjectStore,
    private readonly options: JobControllerOptions,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((event) => {
      if (event.kind === 'jobs' && event.type === 'ADDED') this.onJobAdded(event.object as Job);
      if (event.kind === 'pods') this.onPod(event.type, event.object as Pod);
    });
  }

  stop(): void {
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private updateJob(job: Job, change: (j: Job) => void): Job | undefined {
    return this.store.update('jobs', job.metadata.namespace!, job.metadata.name!, (o) => change(o as Job)) as
      | Job
      | undefined;
  }

  private onJobAdded(job: Job): void {
    const uid = job.metadata.uid!;
    this.updateJob(job, (j) => {
      const selector = { 'batch.kubernetes.io/controller-uid': uid };
      j.spec = {
        backoffLimit: 6,
        completions: 1,
        parallelism: 1,
        suspend: false,
        completionMode: 'NonIndexed',
        podReplacementPolicy: 'TerminatingOrFailed',
        manualSelector: false,
        ...j.spec,
        selector: { matchLabels: selector },
      };
      const labels = {
        ...(j.spec.template.metadata?.labels ?? {}),
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': j.metadata.name!,
        'controller-uid': uid,
        'job-name': j.metadata.name!,
      };
      j.spec.template.metadata = { ...(j.spec.template.metadata ?? {}), labels };
      j.status = { startTime: now(), active: 0, ready: 0, terminating: 0 };
    });
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline !== undefined) this.later(deadline * 1000, () => this.deadlineExceeded(job));
    this.createPod(job);
  }

  private createPod(job: Job): void {
    const current = this.store.get('jobs', job.metadata.namespace!, job.metadata.name!) as Job | undefined;
    if (!current || isFinished(current) || current.metadata.deletionTimestamp) return;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${current.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        labels: current.spec.template.metadata?.labels ?? {},
        annotations: current.spec.template.metadata?.annotations ?? {},
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: current.metadata.name!,
            uid: current.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: structuredClone(current.spec.template.spec),
      status: { phase: 'Pending' },
    };
    const created = this.store.create('pods', current.metadata.namespace!, pod);
    this.updateJob(current, (j) => {
      j.status.active = (j.status.active ?? 0) + 1;
    });
    this.options.recordEvent(
      current,
      'Job',
      'Normal',
      'SuccessfulCreate',
      `Created pod: ${created.metadata.name}`,
    );
  }

  private ownerJob(pod: Pod): Job | undefined {
    const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'Job' && o.controller);
    if (!owner) return undefined;
    const job = this.store.get('jobs', pod.metadata.namespace!, owner.name) as Job | undefined;
    return job?.metadata.uid === owner.uid ? job : undefined;
  }

  private onPod(type: string, pod: Pod): void {
    const uid = pod.metadata.uid!;
    if (this.counted.has(uid)) {
      if (type === 'DELETED') this.counted.delete(uid);
      return;
    }
    const phase = pod.status?.phase;
    const failedByDeletion = type === 'DELETED' && phase !== 'Succeeded';
    if (phase !== 'Succeeded' && phase !== 'Failed' && !failedByDeletion) {
      if (type === 'MODIFIED' && phase === 'Running') {
        const job = this.ownerJob(pod);
        if (job) this.updateJob(job, (j) => (j.status.ready = 1));
      }
      return;
    }
    const job = this.ownerJob(pod);
    if (!job) return;
    if (type !== 'DELETED') this.counted.add(uid);
    if (isFinished(job)) return;
    if (phase === 'Succeeded') {
      this.updateJob(job, (j) => {
        j.status.active = 0;
        j.status.ready = 0;
        j.status.succeeded = (j.status.succeeded ?? 0) + 1;
        j.status.completionTime = now();
        j.status.conditions = [
          condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
          condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
        ];
      });
      this.options.recordEvent(job, 'Job', 'Normal', 'Completed', 'Job completed');
      this.finished(job);
      return;
    }
    const failed = (job.status.failed ?? 0) + 1;
    if (failed > (job.spec.backoffLimit ?? 6)) {
      this.fail(job, 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', failed);
      return;
    }
    this.updateJob(job, (j) => {
      j.status.failed = failed;
      j.status.active = 0;
      j.status.ready = 0;
    });
    this.createPod(job);
  }

  private fail(job: Job, reason: string, message: string, failed: number): void {
    this.updateJob(job, (j) => {
      j.status.failed = failed;
      j.status.active = 0;
      j.status.ready = 0;
      j.status.conditions = [
        condition('FailureTarget', reason, message),
        condition('Failed', reason, message),
      ];
    });
    this.options.recordEvent(job, 'Job', 'Warning', reason, message);
    this.finished(job);
  }

  private deadlineExceeded(job: Job): void {
    const current = this.store.get('jobs', job.metadata.namespace!, job.metadata.name!) as Job | undefined;
    if (!current || current.metadata.uid !== job.metadata.uid || isFinished(current)) return;
    this.fail(
      current,
      'DeadlineExceeded',
      'Job was active longer than specified deadline',
      (current.status.failed ?? 0) + 1,
    );
    for (const pod of this.store.list('pods', current.metadata.namespace)) {
      if (pod.metadata.ownerReferences?.some((o) => o.uid === current.metadata.uid)) {
        const phase = (pod as Pod).status?.phase;
        if (phase !== 'Succeeded' && phase !== 'Failed') {
          this.counted.add(pod.metadata.uid!);
          this.options.deleteObject('pods', pod.metadata.namespace!, pod.metadata.name!, 'Background');
        }
      }
    }
  }

  private finished(job: Job): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    this.later(ttl * 1000, () => {
      const current = this.store.get('jobs', job.metadata.namespace!, job.metadata.name!);
      if (current?.metadata.uid !== job.metadata.uid) return;
      this.options.deleteObject('jobs', job.metadata.namespace!, job.metadata.name!, 'Background');
    });
  }
}
