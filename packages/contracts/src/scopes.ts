import { z } from 'zod';

export const SCOPES = ['runs.read', 'runs.write', 'nodes.claim', 'logs.read', 'logs.write', 'admin'] as const;
export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

export const TOKEN_KINDS = ['user', 'runner', 'service'] as const;
export const tokenKindSchema = z.enum(TOKEN_KINDS);
export type TokenKind = z.infer<typeof tokenKindSchema>;

/** `admin` satisfies every scope. */
export function hasScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes('admin') || granted.includes(required);
}
