import { ClientError, type ControllerClient } from '@sparkwing/client';

export interface LeaseEvents {
  /** The run was cancelled: stop the node. */
  onCancel(): void;
  /** A renewal got 409: another runner owns the node now; kill it and report nothing. */
  onLost(): void;
}

/**
 * Holds a node's claim lease: renews it every third of its lifetime (at most 5 s), switches to the fresh
 * node token each renewal, and reports cancellation and loss.
 */
export class Lease {
  token: string;
  lost = false;
  cancelled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly controller: ControllerClient,
    private readonly runId: string,
    private readonly nodeId: string,
    lease: { token: string; expires_at: string },
    private readonly events: LeaseEvents,
    renewMs?: number,
  ) {
    this.token = lease.token;
    const lifetime = Math.max(1_000, Date.parse(lease.expires_at) - Date.now());
    this.renewMs = renewMs ?? Math.min(5_000, Math.max(500, Math.floor(lifetime / 3)));
  }

  private readonly renewMs: number;

  start(): void {
    this.timer ??= setInterval(() => void this.renew(), this.renewMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Marks the lease lost (e.g. a 409 from start or finish). */
  markLost(): void {
    if (this.lost) return;
    this.lost = true;
    this.events.onLost();
  }

  private async renew(): Promise<void> {
    try {
      const beat = await this.controller.heartbeatNode(this.runId, this.nodeId, this.token);
      this.token = beat.token;
      if (beat.cancel_requested && !this.cancelled) {
        this.cancelled = true;
        this.events.onCancel();
      }
    } catch (error) {
      if (error instanceof ClientError && error.status === 409) this.markLost();
    }
  }
}
