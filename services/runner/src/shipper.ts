import type { LogStream } from '@sparkwing/contracts';

/** The subset of the logs client's `LogShipper` the executor uses (injected so local mode can embed). */
export interface NodeLogShipper {
  write(record: { ts?: string; stream?: LogStream; step?: string; msg: string; final?: boolean }): void;
  /** Rejects with an error carrying `status` 401/403 when the logs service refuses the token. */
  flush(): Promise<void>;
  readonly authFailed: boolean;
  close(): void | Promise<void>;
}

export interface ShipperTarget {
  runId: string;
  nodeId: string;
  /** The current node token; it changes on every lease renewal. */
  token: () => string;
}

export type ShipperFactory = (target: ShipperTarget) => NodeLogShipper;

export function isAuthError(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 403 || (error as Error | null)?.name === 'LogsAuthError';
}
