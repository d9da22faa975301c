import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import type { FakeKube } from '../src/index.js';

export function clients(kube: FakeKube) {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'fake', server: kube.url, skipTLSVerify: true }],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return { config, batch: config.makeApiClient(BatchV1Api), core: config.makeApiClient(CoreV1Api) };
}

export async function until<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function job(
  name: string,
  script: string,
  extra: {
    memory?: string;
    ttl?: number;
    deadline?: number;
    labels?: Record<string, string>;
  } = {},
): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { app: 'fake-kube-test', ...(extra.labels ?? {}) } },
    spec: {
      backoffLimit: 0,
      ...(extra.ttl !== undefined ? { ttlSecondsAfterFinished: extra.ttl } : {}),
      ...(extra.deadline !== undefined ? { activeDeadlineSeconds: extra.deadline } : {}),
      template: {
        metadata: { labels: { app: 'fake-kube-test', ...(extra.labels ?? {}) } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'main',
              image: 'busybox:1.36',
              command: ['/bin/sh', '-c', script],
              ...(extra.memory ? { resources: { limits: { memory: extra.memory } } } : {}),
            },
          ],
        },
      },
    },
  };
}
