import { type ClaimResponse, labelsSatisfy } from '@sparkwing/contracts';
import type { ClaimFilter } from './claim-ops.js';
import type { NodeReadyEvent } from './events.js';

interface Waiter {
  filter: ClaimFilter;
  deadline: number;
  timer?: NodeJS.Timeout;
  settle(result: ClaimResponse | null, error?: unknown): void;
}

/**
 * Long-polling claimers. A node becoming ready in this process wakes the oldest matching waiter at once,
 * which claims inside the same tick; a slow re-check (`recheckMs`) only covers nodes made ready by another
 * process sharing the database file.
 */
export class ClaimWaiters {
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly tryClaim: (filter: ClaimFilter) => ClaimResponse | null,
    private readonly recheckMs = 1_000,
  ) {}

  get size(): number {
    return this.waiters.length;
  }

  wait(filter: ClaimFilter, waitMs: number, signal?: AbortSignal): Promise<ClaimResponse | null> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        filter,
        deadline: Date.now() + waitMs,
        settle: (result, error) => {
          this.remove(waiter);
          if (waiter.timer) clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
          if (error !== undefined) reject(error);
          else resolve(result);
        },
      };
      const onAbort = () => waiter.settle(null);
      if (signal?.aborted) return resolve(null);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule(waiter);
    });
  }

  /** Offers each newly ready node to the oldest waiter it matches. */
  notify(events: readonly NodeReadyEvent[]): void {
    for (const event of events) {
      const waiter = this.waiters.find(
        (w) =>
          (!w.filter.runId || w.filter.runId === event.runId) &&
          labelsSatisfy(event.requires, w.filter.labels),
      );
      if (!waiter) continue;
      this.attempt(waiter);
    }
  }

  /** Answers every waiter with "nothing" (shutdown). */
  releaseAll(): void {
    for (const waiter of [...this.waiters]) waiter.settle(null);
  }

  private attempt(waiter: Waiter): boolean {
    try {
      const result = this.tryClaim(waiter.filter);
      if (result) {
        waiter.settle(result);
        return true;
      }
    } catch (error) {
      waiter.settle(null, error);
      return true;
    }
    return false;
  }

  private schedule(waiter: Waiter): void {
    const remaining = waiter.deadline - Date.now();
    if (remaining <= 0) {
      waiter.settle(null);
      return;
    }
    waiter.timer = setTimeout(
      () => {
        if (Date.now() >= waiter.deadline) waiter.settle(null);
        else if (!this.attempt(waiter)) this.schedule(waiter);
      },
      Math.min(remaining, this.recheckMs),
    );
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
