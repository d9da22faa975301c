import { z } from 'zod';

/** ISO-8601 timestamp string as every API returns it. */
export const timestampSchema = z.string();

export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const stringMapSchema = z.record(z.string().max(256), z.string().max(16_384));

export const resourcesSchema = z.strictObject({
  /** Kubernetes CPU quantity, e.g. `500m` or `2`. */
  cpu: z.string().max(32).optional(),
  /** Kubernetes memory quantity, e.g. `512Mi`. */
  memory: z.string().max(32).optional(),
});
export type Resources = z.infer<typeof resourcesSchema>;
