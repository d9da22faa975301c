import { durationSetting } from '@sparkwing/contracts';
import { z } from 'zod';

export const configSchema = z.object({
  /** Port to listen on; 0 picks a free one and logs it. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3100),
  /** Address to bind. */
  HOST: z.string().default('0.0.0.0'),
  /** Base URL of the controller (its `/api/v1` routes are proxied under the same paths). */
  SPARKWING_CONTROLLER_URL: z.url(),
  /** Base URL of the logs service (`/api/v1/logs/…` is proxied there). */
  SPARKWING_LOGS_URL: z.url(),
  /** The dashboard's own service token; used only for the upstream readiness check in `/api/health`. */
  SPARKWING_WEB_TOKEN: z.string().min(1).optional(),
  /** Secret that signs session cookies and derives CSRF tokens; at least 32 characters. */
  SPARKWING_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Lifetime of a signed-in session, e.g. `12h`. */
  SPARKWING_WEB_SESSION_TTL: durationSetting('12h'),
  /** Mark the session cookie `Secure` (set when the dashboard is served over HTTPS). */
  SPARKWING_WEB_SECURE_COOKIE: z.enum(['true', 'false']).default('false'),
  /** Directory holding the built browser app; defaults to the one shipped in this package. */
  SPARKWING_WEB_STATIC_DIR: z.string().optional(),
  /** OTLP/HTTP endpoint for traces and logs; nothing is exported when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Full OTLP traces URL, overriding the one derived from OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
  /** Full OTLP logs URL, overriding the one derived from OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: z.url().optional(),
  /** service.name of exported spans and logs (default `sparkwing-web`). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** Minimum log level. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});
export type WebConfig = z.infer<typeof configSchema>;

export function parseConfig(env: Record<string, string | undefined>): WebConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`,
    );
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
