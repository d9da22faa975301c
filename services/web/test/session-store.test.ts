import { describe, expect, it } from 'vitest';
import { SessionStore } from '../src/session/store.js';

const principal = {
  kind: 'user' as const,
  name: 'dev',
  token_prefix: 'swu_abc',
  run_id: null,
  node_id: null,
};

describe('SessionStore', () => {
  it('expires sessions at the TTL or the token expiry, whichever is first', () => {
    let now = 1_000_000;
    const store = new SessionStore({ secret: 'x'.repeat(32), ttlMs: 60_000, now: () => now });
    const long = store.create({ token: 't1', principal, scopes: ['runs.read'], tokenExpiresAt: null });
    const short = store.create({
      token: 't2',
      principal,
      scopes: ['runs.read'],
      tokenExpiresAt: now + 10_000,
    });
    expect(store.resolve(long.cookie)?.token).toBe('t1');
    now += 10_000;
    expect(store.resolve(short.cookie)).toBeNull();
    expect(store.resolve(long.cookie)?.token).toBe('t1');
    now += 50_000;
    expect(store.resolve(long.cookie)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('refuses forged cookies and checks CSRF tokens per session', () => {
    const store = new SessionStore({ secret: 'y'.repeat(32), ttlMs: 60_000 });
    const a = store.create({ token: 'a', principal, scopes: [], tokenExpiresAt: null });
    const b = store.create({ token: 'b', principal, scopes: [], tokenExpiresAt: null });
    const id = a.session.id;
    expect(store.resolve(`${id}.forged`)).toBeNull();
    expect(store.resolve(id)).toBeNull();
    expect(store.checkCsrf(id, store.csrfToken(id))).toBe(true);
    expect(store.checkCsrf(id, store.csrfToken(b.session.id))).toBe(false);
    expect(store.checkCsrf(id, undefined)).toBe(false);
  });
});
