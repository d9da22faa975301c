import { createHash, randomBytes } from 'node:crypto';

/** Long-lived API tokens: `swt_` + 32 random base64url characters. */
export const API_TOKEN_PREFIX = 'swt_';
const PREFIX_LENGTH = 12;

export function generateApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The part of a token that is safe to show and to address it by (`DELETE /tokens/{prefix}`). */
export function tokenPrefix(token: string): string {
  return token.slice(0, PREFIX_LENGTH);
}
