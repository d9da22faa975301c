import { describe, expect, it } from 'vitest';
import { CacheClient, ClientError } from '../src/index.js';

function recorder(responses: Response[]) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return responses.shift() ?? new Response('{}', { status: 500 });
  };
  return { calls, fetch };
}

describe('CacheClient', () => {
  it('sends the bearer, query and body shapes the cache expects', async () => {
    const ref = `up_${'a'.repeat(64)}`;
    const { calls, fetch } = recorder([
      Response.json({ commit: null }),
      Response.json({ upload_ref: ref, size: 10, files: 1 }),
      new Response(null, { status: 404 }),
    ]);
    const client = new CacheClient({ baseUrl: 'http://cache.test/', token: 'tok', fetch });
    expect(await client.negotiate('app', ['b'.repeat(40)])).toBeNull();
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ repo: 'app', commits: ['b'.repeat(40)] });
    const uploaded = await client.upload(new Uint8Array([1, 2]), { repo: 'app', base: 'c'.repeat(40) });
    expect(uploaded.upload_ref).toBe(ref);
    expect(calls[1]!.url).toBe(`http://cache.test/upload?repo=app&base=${'c'.repeat(40)}`);
    expect((calls[1]!.init!.headers as Record<string, string>).authorization).toBe('Bearer tok');
    expect(await client.getBin('missing')).toBeNull();
  });

  it('turns error envelopes into ClientError', async () => {
    const envelope = { error: { code: 'payload_too_large', message: 'too big', request_id: 'r1' } };
    const { fetch } = recorder([Response.json(envelope, { status: 413 })]);
    const client = new CacheClient({ baseUrl: 'http://cache.test', fetch });
    const error = await client.putBin('k', new Uint8Array([1])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large', requestId: 'r1' });
  });
});
