import type { Hono } from 'hono';
import type { FakeCluster } from '../cluster.js';
import { badRequest, forbidden } from '../errors.js';
import type { Pod } from '../types.js';

const int = (value: string | undefined): number | undefined =>
  value === undefined || value === '' ? undefined : Number.parseInt(value, 10);

/** `GET /api/v1/namespaces/{ns}/pods/{name}/log` with container, tailLines, limitBytes, timestamps, follow. */
export function registerPodLogRoute(app: Hono, cluster: FakeCluster): void {
  app.get('/api/v1/namespaces/:ns/pods/:name/log', (c) => {
    const { ns, name } = c.req.param();
    if (cluster.podLogsDenied) {
      throw forbidden(
        `pods "${name}" is forbidden: User "system:serviceaccount:${ns}:sparkwing-controller" cannot get resource "pods/log" in API group "" in the namespace "${ns}"`,
      );
    }
    const pod = cluster.store.mustGet('pods', ns, name) as Pod;
    const container = pod.spec.containers[0]!;
    const requested = c.req.query('container');
    if (requested && requested !== container.name) {
      throw badRequest(`container ${requested} is not valid for pod ${name}`);
    }
    if (c.req.query('previous') === 'true') {
      throw badRequest(`previous terminated container "${container.name}" in pod "${name}" not found`);
    }
    const log = cluster.kubelet.logOf(pod.metadata.uid!);
    const waiting = pod.status.containerStatuses?.[0]?.state.waiting;
    if (!log || (waiting && log.lineCount === 0 && !log.ended)) {
      throw badRequest(
        `container "${container.name}" in pod "${name}" is waiting to start: ${waiting?.reason ?? 'ContainerCreating'}`,
      );
    }
    const options = {
      ...(int(c.req.query('tailLines')) !== undefined ? { tailLines: int(c.req.query('tailLines')) } : {}),
      ...(int(c.req.query('limitBytes')) !== undefined ? { limitBytes: int(c.req.query('limitBytes')) } : {}),
      ...(int(c.req.query('sinceSeconds')) !== undefined
        ? { sinceSeconds: int(c.req.query('sinceSeconds')) }
        : {}),
      timestamps: c.req.query('timestamps') === 'true',
    };
    const headers = { 'content-type': 'text/plain' };
    if (c.req.query('follow') !== 'true') return new Response(log.read(options), { status: 200, headers });
    const encoder = new TextEncoder();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(log.read(options)));
        let sent = log.read({ timestamps: options.timestamps });
        const flush = () => {
          const all = log.read({ timestamps: options.timestamps });
          if (all.length > sent.length) {
            controller.enqueue(encoder.encode(all.slice(sent.length)));
            sent = all;
          }
          if (log.ended) {
            stop();
            controller.close();
          }
        };
        stop = log.onChange(flush);
        if (log.ended) flush();
      },
      cancel() {
        stop();
      },
    });
    return new Response(body, { status: 200, headers });
  });
}
