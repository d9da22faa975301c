import { z } from 'zod';

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  /** Runner protocol version (`CONTROLLER_PROTOCOL`); absent means 1. */
  protocol: z.number().int().optional(),
  reasons: z.array(z.string()).optional(),
  /** Peers a client may need (the CLI finds the cache here). */
  cache_url: z.string().nullable().optional(),
  logs_url: z.string().nullable().optional(),
});
export type Health = z.infer<typeof healthSchema>;
