import { ControllerClient } from '@sparkwing/client';
import type { Scope } from '@sparkwing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  append,
  CONTROLLER_MAIN,
  ndjson,
  nodeToken,
  type ServiceProcess,
  startService,
  tempDir,
} from './helpers.js';

const ADMIN = 'admin-token-for-logs-tests';
let controller: ServiceProcess;
let logs: ServiceProcess;
let cleanups: Array<() => Promise<void>> = [];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const controllerDir = await tempDir();
  const logsDir = await tempDir();
  cleanups = [controllerDir.cleanup, logsDir.cleanup];
  // The real controller (its dist/main.js) answers POST /api/v1/auth/introspect for the logs service.
  controller = await startService(
    { SPARKWING_DATA_DIR: controllerDir.dir, SPARKWING_ADMIN_TOKEN: ADMIN },
    CONTROLLER_MAIN,
  );
  const client = new ControllerClient({ baseUrl: controller.url, token: ADMIN });
  const grants: Record<string, Scope[]> = {
    reader: ['logs.read'],
    writer: ['logs.write'],
    runs: ['runs.read'],
  };
  for (const [name, scopes] of Object.entries(grants)) {
    tokens[name] = (await client.createToken({ name, kind: 'service', scopes })).token;
  }
  logs = await startService({ SPARKWING_DATA_DIR: logsDir.dir, SPARKWING_CONTROLLER_URL: controller.url });
});

afterAll(async () => {
  await logs?.stop();
  await controller?.stop();
  for (const cleanup of cleanups) await cleanup();
});

describe('auth through the real controller', () => {
  it('accepts API tokens by scope and rejects unknown ones', async () => {
    const body = ndjson([{ msg: 'hello' }]);
    expect((await append(logs.url, 'run_c', 'n', tokens.writer!, body)).status).toBe(200);
    expect((await append(logs.url, 'run_c', 'n', ADMIN, body)).status).toBe(200);
    const denied = await append(logs.url, 'run_c', 'n', tokens.reader!, body);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toContain('logs.write');
    const read = (token: string) =>
      fetch(`${logs.url}/api/v1/logs/run_c/n`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/plain' },
      });
    const ok = await read(tokens.reader!);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello\nhello\n');
    expect((await read(tokens.runs!)).status).toBe(403);
    expect((await read('swt_not-a-real-token-000000')).status).toBe(401);
    expect((await read(nodeToken('run_c', 'n'))).status).toBe(200);
  });
});
