/** What the dispatcher remembers about one runner Job it created or adopted. */
export interface TrackedJob {
  jobName: string;
  runId: string;
  nodeId: string;
  attempt: number;
  image: string;
  /** When the Job was created (or adopted), for start/finish durations. */
  createdAt: number;
  podName?: string;
  /** Container running observed (lease renewal stops, start transition recorded). */
  started: boolean;
  /** A terminal verdict was handled; the pod's later disappearance is the TTL reap. */
  finished: boolean;
  /** First time the pod was seen in an image pull failure; cleared when pulling recovers. */
  pullSince?: number;
  pullMessage?: string;
  /** First time the pod was seen Unschedulable; cleared once it is scheduled. */
  unschedulableSince?: number;
  unschedulableMessage?: string;
  /** Lease expiry as last granted, for renewal while the pod is pending. */
  leaseExpiresAt: number;
  /** Spawn-failure stages already counted for this Job. */
  countedStages: Set<string>;
  lastDetail?: string | null;
  /** Set when the dispatcher deleted the Job (cancel, image pull or scheduling failure). */
  deleting?: { since: number; reason: 'cancel' | 'image_pull' | 'unschedulable' | 'stranded' };
}
