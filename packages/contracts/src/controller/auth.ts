import { z } from 'zod';
import { scopeSchema, tokenKindSchema } from '../scopes.js';
import { timestampSchema } from './common.js';

export const createTokenRequestSchema = z.strictObject({
  name: z.string().min(1).max(128),
  kind: tokenKindSchema,
  scopes: z.array(scopeSchema).min(1),
});
export type CreateTokenRequest = z.infer<typeof createTokenRequestSchema>;

export const tokenInfoSchema = z.object({
  prefix: z.string(),
  name: z.string(),
  kind: tokenKindSchema,
  scopes: z.array(scopeSchema),
  created_at: timestampSchema,
  last_used_at: timestampSchema.nullable(),
});
export type TokenInfo = z.infer<typeof tokenInfoSchema>;

/** The only time a token's secret is shown. */
export const createdTokenSchema = tokenInfoSchema.extend({ token: z.string() });
export const tokenListSchema = z.object({ tokens: z.array(tokenInfoSchema) });

export const PRINCIPAL_KINDS = ['user', 'runner', 'service', 'node'] as const;
export const principalSchema = z.object({
  kind: z.enum(PRINCIPAL_KINDS),
  name: z.string(),
  token_prefix: z.string().nullable(),
  run_id: z.string().nullable(),
  node_id: z.string().nullable(),
});
export type Principal = z.infer<typeof principalSchema>;

export const introspectResponseSchema = z.object({
  active: z.literal(true),
  principal: principalSchema,
  scopes: z.array(scopeSchema),
  /** Unix ms after which the answer must not be trusted (node tokens expire with their lease). */
  expires_at: z.number().nullable(),
});
export type IntrospectResponse = z.infer<typeof introspectResponseSchema>;

export const createSecretRequestSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'secret names use letters, digits, "_", "." and "-"'),
  value: z.string().max(65_536),
  /** Pipelines that may read it; absent means every pipeline. */
  pipelines: z.array(z.string().min(1).max(128)).min(1).max(100).optional(),
  /**
   * Protected branches (`main`, `release/*`; `*` stops at `/`, `**` does not) whose runs may read it; absent
   * means any ref. Runs without a branch (uploads) and fork pull requests never match.
   */
  branches: z.array(z.string().min(1).max(256)).min(1).max(100).optional(),
});
export type CreateSecretRequest = z.infer<typeof createSecretRequestSchema>;
export const secretInfoSchema = z.object({
  name: z.string(),
  pipelines: z.array(z.string()).nullable(),
  branches: z.array(z.string()).nullable(),
  created_at: timestampSchema,
  updated_at: timestampSchema,
});
export type SecretInfo = z.infer<typeof secretInfoSchema>;
export const secretListSchema = z.object({ secrets: z.array(secretInfoSchema) });
export const secretValueSchema = z.object({ name: z.string(), value: z.string() });
