import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Node tokens look like `swn.<base64url payload>.<base64url HMAC-SHA256>`. */
export const NODE_TOKEN_PREFIX = 'swn.';

export const nodeTokenClaimsSchema = z.strictObject({
  v: z.literal(1),
  run_id: z.string(),
  node_id: z.string(),
  attempt: z.number().int().min(1),
  /** Expiry, unix milliseconds. */
  exp: z.number().int(),
});
export type NodeTokenClaims = z.infer<typeof nodeTokenClaimsSchema>;

function mac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function signNodeToken(key: string, claims: Omit<NodeTokenClaims, 'v'>): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, ...claims })).toString('base64url');
  return `${NODE_TOKEN_PREFIX}${payload}.${mac(key, payload).toString('base64url')}`;
}

export function isNodeToken(token: string): boolean {
  return token.startsWith(NODE_TOKEN_PREFIX);
}

export type NodeTokenResult =
  | { ok: true; claims: NodeTokenClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** Verifies signature (constant time) and expiry; `now` is unix milliseconds. */
export function verifyNodeToken(key: string, token: string, now: number = Date.now()): NodeTokenResult {
  if (!isNodeToken(token)) return { ok: false, reason: 'malformed' };
  const [payload, signature, extra] = token.slice(NODE_TOKEN_PREFIX.length).split('.');
  if (!payload || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims = nodeTokenClaimsSchema.safeParse(parsed);
  if (!claims.success) return { ok: false, reason: 'malformed' };
  if (claims.data.exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: claims.data };
}
