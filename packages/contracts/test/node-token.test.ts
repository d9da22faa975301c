import { describe, expect, it } from 'vitest';
import { signNodeToken, verifyNodeToken } from '../src/node-token.js';

const KEY = 'k'.repeat(32);

describe('node tokens', () => {
  it('round-trips claims until expiry', () => {
    const token = signNodeToken(KEY, { run_id: 'run_1', node_id: 'build', attempt: 2, exp: 2_000 });
    const result = verifyNodeToken(KEY, token, 1_000);
    expect(result).toEqual({
      ok: true,
      claims: { v: 1, run_id: 'run_1', node_id: 'build', attempt: 2, exp: 2_000 },
    });
    expect(verifyNodeToken(KEY, token, 2_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects another key, tampering and garbage', () => {
    const token = signNodeToken(KEY, { run_id: 'run_1', node_id: 'build', attempt: 1, exp: 5_000 });
    expect(verifyNodeToken('other-key', token, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    const [prefix, payload, sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ v: 1, run_id: 'run_2', node_id: 'build', attempt: 1, exp: 5_000 }),
    );
    expect(verifyNodeToken(KEY, `${prefix}.${forged.toString('base64url')}.${sig}`, 0).ok).toBe(false);
    expect(verifyNodeToken(KEY, `${prefix}.${payload}`, 0)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyNodeToken(KEY, 'sw_user_token', 0)).toEqual({ ok: false, reason: 'malformed' });
  });
});
