import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { FakeCluster, type FakeClusterOptions } from './cluster.js';
import { KubeError } from './errors.js';
import { registerPodLogRoute } from './routes/pod-log.js';
import { registerResourceRoutes } from './routes/resources.js';

export interface FakeKubeOptions extends FakeClusterOptions {
  /** When set, every request must carry `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
}

export interface FakeKube {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  cluster: FakeCluster;
  /** Writes a kubeconfig for `KubeConfig.loadFromFile` (or `KUBECONFIG`) pointing at this server. */
  writeKubeconfig(path: string, namespace?: string): string;
  close(): Promise<void>;
}

/** The Hono app serving the Kubernetes REST paths over a FakeCluster. */
export function createFakeKubeApp(cluster: FakeCluster, token?: string): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    if (token && c.req.header('authorization') !== `Bearer ${token}`) {
      throw new KubeError(401, 'Unauthorized', 'Unauthorized');
    }
    await next();
  });
  app.get('/version', (c) =>
    c.json({ major: '1', minor: '33', gitVersion: 'v1.33.0-fake', platform: 'linux/amd64' }),
  );
  app.get('/healthz', (c) => c.text('ok'));
  registerResourceRoutes(app, cluster);
  registerPodLogRoute(app, cluster);
  app.notFound((c) =>
    c.json(
      new KubeError(404, 'NotFound', 'the server could not find the requested resource').toStatus(),
      404,
    ),
  );
  app.onError((error, c) => {
    const kube = error instanceof KubeError ? error : new KubeError(500, 'InternalError', error.message);
    return c.json(kube.toStatus(), kube.code as 400);
  });
  return app;
}

/** Starts a fake API server on 127.0.0.1 (a free port unless `port` is given). */
export async function startFakeKube(options: FakeKubeOptions & { port?: number } = {}): Promise<FakeKube> {
  const cluster = new FakeCluster(options);
  const app = createFakeKubeApp(cluster, options.token);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    cluster,
    writeKubeconfig(path, namespace = 'default') {
      const kubeconfig = {
        apiVersion: 'v1',
        kind: 'Config',
        // client-node 1.x refuses plain http unless TLS verification is marked skipped.
        clusters: [{ name: 'fake-kube', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'fake-kube', user: options.token ? { token: options.token } : {} }],
        contexts: [{ name: 'fake-kube', context: { cluster: 'fake-kube', user: 'fake-kube', namespace } }],
        'current-context': 'fake-kube',
      };
      writeFileSync(path, JSON.stringify(kubeconfig, null, 2));
      return path;
    },
    async close() {
      const s = server as unknown as { closeAllConnections?: () => void; close: (cb: () => void) => void };
      s.closeAllConnections?.();
      await new Promise<void>((resolve) => s.close(() => resolve()));
      await cluster.close();
    },
  };
}
