import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: Record<string, string> | null;
  /** What the fake answered. */
  status: number;
}

export interface FakeGithub {
  url: string;
  calls: RecordedCall[];
  /** Statuses the next status posts answer with, in order (then 201). */
  failNext(...statuses: number[]): void;
  /** Serves `POST /app/installations/{id}/access_tokens` after checking the JWT with `verify`. */
  app(installationId: string, token: string, verify: (jwt: string) => boolean): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The GitHub REST API parts Sparkwing calls, on 127.0.0.1: records every call, fails on request. */
export async function startFakeGithub(): Promise<FakeGithub> {
  const calls: RecordedCall[] = [];
  const failures: number[] = [];
  let app: { installationId: string; token: string; verify: (jwt: string) => boolean } | null = null;
  const server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const path = req.url ?? '/';
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        calls.push({
          method: req.method ?? '',
          path,
          authorization: req.headers.authorization,
          body: text ? JSON.parse(text) : null,
          status,
        });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (app && req.method === 'POST' && path === `/app/installations/${app.installationId}/access_tokens`) {
        const jwt = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (!app.verify(jwt)) return answer(401, { message: 'A JSON web token could not be decoded' });
        return answer(201, { token: app.token, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      }
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/statuses\/[0-9a-f]{40}$/.test(path)) {
        const status = failures.shift() ?? 201;
        if (status === 429) return answer(429, { message: 'rate limited' }, { 'retry-after': '3' });
        if (status !== 201) return answer(status, { message: 'Server Error' });
        return answer(201, { id: calls.length, state: JSON.parse(text).state });
      }
      answer(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNext: (...statuses) => failures.push(...statuses),
    app: (installationId, token, verify) => {
      app = { installationId, token, verify };
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
