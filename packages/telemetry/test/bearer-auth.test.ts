import { ApiError, type IntrospectResponse, signNodeToken } from '@sparkwing/contracts';
import { describe, expect, it } from 'vitest';
import { BearerAuthenticator, bearerFrom, INTROSPECTION_CACHE_MS } from '../src/bearer-auth.js';

const KEY = 'bearer-auth-test-signing-key';
const answer = (scopes: string[]): IntrospectResponse => ({
  active: true,
  principal: { kind: 'user', name: 'dev', token_prefix: 'swt_dev', run_id: null, node_id: null },
  scopes: scopes as IntrospectResponse['scopes'],
  expires_at: null,
});

function fixture() {
  let now = 1_000_000;
  const valid = new Map<string, IntrospectResponse>([['swt_dev', answer(['logs.read'])]]);
  let calls = 0;
  let release: (() => void) | null = null;
  const auth = new BearerAuthenticator({
    signingKey: KEY,
    clock: () => now,
    introspect: async (token) => {
      calls += 1;
      if (release) await new Promise<void>((resolve) => (release = resolve));
      return valid.get(token) ?? null;
    },
  });
  return {
    auth,
    valid,
    calls: () => calls,
    advance: (ms: number) => {
      now += ms;
    },
    hold: () => {
      release = () => undefined;
    },
    letGo: () => {
      const go = release;
      release = null;
      go?.();
    },
    now: () => now,
  };
}

describe('BearerAuthenticator', () => {
  it('verifies node tokens offline and refuses forged or expired ones', async () => {
    const f = fixture();
    const token = signNodeToken(KEY, { run_id: 'run_a', node_id: 'n', attempt: 1, exp: f.now() + 60_000 });
    await expect(f.auth.verify(token)).resolves.toMatchObject({ kind: 'node', runId: 'run_a', nodeId: 'n' });
    const forged = signNodeToken('another-key-entirely', {
      run_id: 'run_a',
      node_id: 'n',
      attempt: 1,
      exp: f.now() + 60_000,
    });
    await expect(f.auth.verify(forged)).rejects.toMatchObject({ status: 401 });
    const expired = signNodeToken(KEY, { run_id: 'run_a', node_id: 'n', attempt: 1, exp: f.now() - 1 });
    await expect(f.auth.verify(expired)).rejects.toMatchObject({ status: 401 });
    expect(f.calls()).toBe(0);
  });

  it('stops accepting a revoked token within the cache bound', async () => {
    const f = fixture();
    await expect(f.auth.verify('swt_dev')).resolves.toMatchObject({ kind: 'user', scopes: ['logs.read'] });
    f.valid.delete('swt_dev');
    f.advance(INTROSPECTION_CACHE_MS - 1);
    await expect(f.auth.verify('swt_dev')).resolves.toMatchObject({ kind: 'user' });
    f.advance(2);
    await expect(f.auth.verify('swt_dev')).rejects.toBeInstanceOf(ApiError);
    expect(INTROSPECTION_CACHE_MS).toBeLessThanOrEqual(5_000);
  });

  it('shares one introspection between concurrent requests and remembers rejections briefly', async () => {
    const f = fixture();
    f.hold();
    const pending = Array.from({ length: 10 }, () => f.auth.verify('swt_dev'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    f.letGo();
    await Promise.all(pending);
    expect(f.calls()).toBe(1);
    for (let i = 0; i < 5; i++)
      await expect(f.auth.verify('swt_unknown')).rejects.toMatchObject({ status: 401 });
    expect(f.calls()).toBe(2);
  });

  it('answers 503 when the controller cannot be asked, and parses bearers', async () => {
    const auth = new BearerAuthenticator({
      introspect: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    await expect(auth.verify('swt_x')).rejects.toMatchObject({ status: 503 });
    expect(bearerFrom('Bearer abc')).toBe('abc');
    expect(bearerFrom(`Basic ${Buffer.from('x:secret').toString('base64')}`)).toBeNull();
    expect(bearerFrom(`Basic ${Buffer.from('x:secret').toString('base64')}`, true)).toBe('secret');
    expect(bearerFrom('Bearer')).toBeNull();
  });
});
