import { describe, expect, it } from 'vitest';
import { ClientError, ControllerClient } from '../src/index.js';

function fakeFetch(status: number, body: unknown, seen: Request[] = []) {
  return async (input: string, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
}

describe('ControllerClient', () => {
  it('sends the bearer and validates the response', async () => {
    const seen: Request[] = [];
    const client = new ControllerClient({
      baseUrl: 'http://127.0.0.1:1/',
      token: 't0k',
      fetch: fakeFetch(202, { run_id: 'run_1' }, seen),
    });
    await expect(client.trigger({ pipeline: 'hello' })).resolves.toEqual({ run_id: 'run_1' });
    expect(seen[0]!.url).toBe('http://127.0.0.1:1/api/v1/triggers');
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer t0k');
    expect(await seen[0]!.json()).toEqual({ pipeline: 'hello' });
  });

  it('turns the error envelope into a ClientError', async () => {
    const envelope = { error: { code: 'forbidden', message: 'missing scope runs.write', request_id: 'r1' } };
    const client = new ControllerClient({ baseUrl: 'http://127.0.0.1:1', fetch: fakeFetch(403, envelope) });
    const error = await client.trigger({ pipeline: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'missing scope runs.write',
      requestId: 'r1',
    });
  });

  it('maps 204 from a claim to null and transport failures to status 0', async () => {
    const empty = new ControllerClient({ baseUrl: 'http://127.0.0.1:1', fetch: fakeFetch(204, undefined) });
    await expect(empty.claim({ runner_id: 'r', wait_ms: 0 })).resolves.toBeNull();
    const down = new ControllerClient({
      baseUrl: 'http://127.0.0.1:1',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(down.health()).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });

  it('rejects a response that does not match the contract', async () => {
    const client = new ControllerClient({
      baseUrl: 'http://127.0.0.1:1',
      fetch: fakeFetch(200, { status: 'weird' }),
    });
    await expect(client.health()).rejects.toMatchObject({ code: 'bad_response' });
  });
});
