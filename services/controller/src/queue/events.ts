/** A node entered the claim queue (new, unblocked or re-queued). */
export interface NodeReadyEvent {
  runId: string;
  nodeId: string;
  attempt: number;
  requires: string[];
}

/** Cancellation was requested for a run; holders of its claimed/running nodes should stop them. */
export interface RunCancelledEvent {
  runId: string;
  /** Nodes still claimed or running that will end when their holder finishes them. */
  activeNodes: { nodeId: string; attempt: number; runnerId: string | null }[];
}

export interface QueueEvents {
  nodeReady: NodeReadyEvent;
  runCancelled: RunCancelledEvent;
}

type Listener<T> = (event: T) => void;

/** Synchronous typed pub/sub; listeners run after the transaction that caused the event committed. */
export class EventBus {
  private readonly listeners: { [K in keyof QueueEvents]: Set<Listener<QueueEvents[K]>> } = {
    nodeReady: new Set(),
    runCancelled: new Set(),
  };

  on<K extends keyof QueueEvents>(name: K, listener: Listener<QueueEvents[K]>): () => void {
    this.listeners[name].add(listener);
    return () => this.listeners[name].delete(listener);
  }

  emit<K extends keyof QueueEvents>(name: K, event: QueueEvents[K], onError: (error: unknown) => void): void {
    for (const listener of this.listeners[name]) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  }
}

/** Events gathered inside a transaction, published once it commits. */
export class PendingEvents {
  readonly ready: NodeReadyEvent[] = [];
  readonly cancelled: RunCancelledEvent[] = [];
}
