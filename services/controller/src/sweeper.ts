import type { Logger } from '@sparkwing/telemetry';
import type { QueueService } from './queue/service.js';
import type { SweepReport } from './queue/sweeps.js';

/** Runs the liveness sweeps and recomputes the queue gauges every `intervalMs`. */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: QueueService,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runOnce(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One pass; errors are logged, never thrown, so a bad pass does not stop later ones. */
  runOnce(): SweepReport | null {
    try {
      const report = this.queue.sweep();
      this.queue.refreshGauges();
      return report;
    } catch (error) {
      this.logger.error('sweep failed', { error });
      return null;
    }
  }
}
