import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, startFakeKube } from '../src/index.js';
import { clients, job, until } from './helpers.js';

let kube: FakeKube;
let api: ReturnType<typeof clients>;
beforeAll(async () => {
  kube = await startFakeKube({ maxGraceSeconds: 1 });
  api = clients(kube);
});
afterAll(async () => kube.close());

const ns = 'default';
const claim = (name: string) => ({
  metadata: { name, labels: { pool: 'docker' } },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
});

/** A Job whose container mounts the claim at /cache (and, optionally, a native sidecar). */
function claimJob(name: string, claimName: string, script: string, sidecar?: string): V1Job {
  const body = job(name, script);
  const spec = body.spec!.template.spec!;
  spec.volumes = [
    { name: 'cache', persistentVolumeClaim: { claimName } },
    { name: 'shared', emptyDir: {} },
  ];
  spec.containers[0]!.volumeMounts = [
    { name: 'cache', mountPath: '/cache' },
    { name: 'shared', mountPath: '/shared' },
  ];
  // Like every fake-kube container, paths reach the process through env values under a mount path.
  const env = [
    { name: 'SOCK', value: 'unix:///shared/sidecar.sock' },
    { name: 'CACHE', value: '/cache' },
    { name: 'SHARED', value: '/shared' },
  ];
  spec.containers[0]!.env = env;
  if (sidecar) {
    spec.initContainers = [
      {
        name: 'side',
        image: 'busybox:1.36',
        restartPolicy: 'Always',
        command: ['/bin/sh', '-c', sidecar],
        env,
        volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
      },
    ];
  }
  return body;
}

const finished = (name: string) =>
  until(async () => {
    const pod = (await api.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${name}` }))
      .items[0];
    return pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed' ? pod : undefined;
  });

describe('fake-kube PersistentVolumeClaims and native sidecars', () => {
  it('validates claims, binds them, and keeps their data across pods until the claim is deleted', async () => {
    const bad = await api.core
      .createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'bad' }, spec: {} } })
      .catch((e) => e);
    expect(bad.code).toBe(422);
    expect(JSON.parse(bad.body).message).toContain('spec.accessModes');

    // A pod whose claim does not exist yet stays Pending/Unschedulable, as the scheduler keeps it.
    await api.batch.createNamespacedJob({
      namespace: ns,
      body: claimJob('writer', 'c1', 'echo warm > $CACHE/layer && echo "$SOCK"'),
    });
    const pending = await until(async () => {
      const pod = (await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=writer' }))
        .items[0];
      const cond = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
      return cond?.reason === 'Unschedulable' ? cond : undefined;
    });
    expect(pending.message).toBe('persistentvolumeclaim "c1" not found');

    const created = await api.core.createNamespacedPersistentVolumeClaim({
      namespace: ns,
      body: claim('c1'),
    });
    expect(created.status?.phase).toBe('Bound');
    expect((await finished('writer')).status?.phase).toBe('Succeeded');
    expect(readFileSync(join(kube.cluster.claimPath(ns, 'c1'), 'layer'), 'utf8')).toBe('warm\n');

    await api.batch.createNamespacedJob({
      namespace: ns,
      body: claimJob('reader', 'c1', 'test "$(cat $CACHE/layer)" = warm'),
    });
    expect((await finished('reader')).status?.phase).toBe('Succeeded');

    const listed = await api.core.listNamespacedPersistentVolumeClaim({
      namespace: ns,
      labelSelector: 'pool=docker',
    });
    expect(listed.items.map((c) => c.metadata?.name)).toEqual(['c1']);
    await api.core.deleteNamespacedPersistentVolumeClaim({ namespace: ns, name: 'c1' });
    expect(existsSync(kube.cluster.claimPath(ns, 'c1'))).toBe(false);
  });

  it('starts native sidecars before the main container and stops them before the pod ends', async () => {
    await api.core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim('c2') });
    // The sidecar announces itself in the shared emptyDir; on SIGTERM it leaves a mark and exits.
    const sidecar = `trap 'echo stopped > $SHARED/stopped; exit 0' TERM; echo up > $SHARED/up; while :; do sleep 0.05; done`;
    await api.batch.createNamespacedJob({
      namespace: ns,
      body: claimJob(
        'with-sidecar',
        'c2',
        `for i in $(seq 1 100); do [ -f $SHARED/up ] && break; sleep 0.05; done; cat $SHARED/up; case "$SOCK" in unix:///shared/*) exit 9;; esac; echo "$SOCK" > $CACHE/sock`,
        sidecar,
      ),
    });
    const pod = await finished('with-sidecar');
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    // unix:// addresses under a mount path are rewritten like plain paths.
    expect(readFileSync(join(kube.cluster.claimPath(ns, 'c2'), 'sock'), 'utf8')).toMatch(
      /^unix:\/\/.*\/volumes\/shared\/sidecar\.sock\n$/,
    );
    const shared = readFileSync(join(kube.cluster.claimPath(ns, 'c2'), 'sock'), 'utf8')
      .trim()
      .slice('unix://'.length)
      .replace(/sidecar\.sock$/, '');
    expect(readFileSync(join(shared, 'stopped'), 'utf8')).toBe('stopped\n');

    const rejected = await api.batch
      .createNamespacedJob({
        namespace: ns,
        body: (() => {
          const body = claimJob('plain-init', 'c2', 'exit 0', 'exit 0');
          body.spec!.template.spec!.initContainers![0]!.restartPolicy = undefined;
          return body;
        })(),
      })
      .catch((e) => e);
    expect(rejected.code).toBe(422);
  });
});
