import type { Scope } from '@sparkwing/contracts';
import { createContext, useContext } from 'react';
import { z } from 'zod';

export const sessionSchema = z.union([
  z.object({ authenticated: z.literal(false), mode: z.enum(['cluster', 'local']) }),
  z.object({
    authenticated: z.literal(true),
    mode: z.enum(['cluster', 'local']),
    principal: z.object({ kind: z.string(), name: z.string() }).passthrough(),
    scopes: z.array(z.string()),
    csrf_token: z.string(),
    expires_at: z.string().nullable(),
  }),
]);

export interface SessionInfo {
  mode: 'cluster' | 'local';
  principal: { kind: string; name: string };
  scopes: Scope[];
  csrfToken: string;
  expiresAt: string | null;
}

export const SessionContext = createContext<SessionInfo | null>(null);

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export function can(session: SessionInfo, scope: Scope): boolean {
  return session.scopes.includes('admin') || session.scopes.includes(scope);
}
