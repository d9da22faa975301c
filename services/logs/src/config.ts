import { z } from 'zod';

export const configSchema = z.object({
  /** Listen port; 0 picks a free one (reported in the `listening` log line). */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8091),
  /** Listen address. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Root of the log files: `<dir>/runs/<runID>/<nodeID>.log`. */
  SPARKWING_DATA_DIR: z.string().min(1).default('/data'),
  /** Controller base URL, used to introspect bearers that are not node tokens; unset = node tokens only. */
  SPARKWING_CONTROLLER_URL: z.url().optional(),
  /** HMAC key shared with the controller; verifies node tokens offline. */
  SPARKWING_SIGNING_KEY: z.string().min(16, 'must be at least 16 characters'),
  /** OTLP/HTTP endpoint for traces and logs; unset = no export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Minimum level of the service's own JSON log lines. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type LogsConfig = z.infer<typeof configSchema>;
