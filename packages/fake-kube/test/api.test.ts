import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeKube, memoryCgroupsWritable, startFakeKube } from '../src/index.js';
import { clients, job, until } from './helpers.js';

let kube: FakeKube;
let api: ReturnType<typeof clients>;
beforeAll(async () => {
  kube = await startFakeKube({
    maxGraceSeconds: 1,
    allocatable: { cpu: '4', memory: '8Gi' },
    imageExists: (image) => !image.startsWith('registry.test/missing/'),
  });
  api = clients(kube);
});
afterAll(async () => kube.close());

const ns = 'default';
const podOf = async (jobName: string) =>
  until(
    async () =>
      (await api.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${jobName}` })).items[0],
  );
const terminatedPod = async (jobName: string) =>
  until(async () => {
    const pod = (await api.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${jobName}` }))
      .items[0];
    return pod?.status?.containerStatuses?.[0]?.state?.terminated ? pod : undefined;
  });

describe('fake-kube through @kubernetes/client-node', () => {
  it('creates, lists, reads and rejects duplicate Jobs', async () => {
    await api.batch.createNamespacedJob({
      namespace: ns,
      body: job('crud', 'exit 0', { labels: { team: 'a' } }),
    });
    const error = await api.batch
      .createNamespacedJob({ namespace: ns, body: job('crud', 'exit 0') })
      .catch((e) => e);
    expect(error.code).toBe(409);
    expect(JSON.parse(error.body).reason).toBe('AlreadyExists');
    const listed = await api.batch.listNamespacedJob({
      namespace: ns,
      labelSelector: 'team in (a,b),app=fake-kube-test',
    });
    expect(listed.items.map((j) => j.metadata?.name)).toEqual(['crud']);
    expect(
      (await api.batch.listNamespacedJob({ namespace: ns, labelSelector: 'team!=a' })).items.map(
        (j) => j.metadata?.name,
      ),
    ).not.toContain('crud');
    const done = await until(async () => {
      const j = await api.batch.readNamespacedJob({ name: 'crud', namespace: ns });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    expect(done.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')).toBe(true);
    const invalid = await api.batch
      .createNamespacedJob({ namespace: ns, body: job('Bad_Name', 'exit 0') })
      .catch((e) => e);
    expect(invalid.code).toBe(422);
  });

  it('runs the container as a process with env from Secrets and reports its exit', async () => {
    await api.core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'tok' }, stringData: { token: 's3cret' } },
    });
    const body = job('envjob', 'echo "token=$TOKEN pod=$POD"; exit 4');
    body.spec!.template.spec!.containers[0]!.env = [
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ];
    await api.batch.createNamespacedJob({ namespace: ns, body });
    const pod = await terminatedPod('envjob');
    const terminated = pod.status!.containerStatuses![0]!.state!.terminated!;
    expect(terminated.exitCode).toBe(4);
    expect(terminated.reason).toBe('Error');
    expect(pod.status?.phase).toBe('Failed');
    const log = await api.core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: ns });
    expect(log).toBe(`token=s3cret pod=${pod.metadata!.name}\n`);
    const j = await until(async () => {
      const r = await api.batch.readNamespacedJob({ name: 'envjob', namespace: ns });
      return r.status?.failed === 1 ? r : undefined;
    });
    expect(j.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });

  it('serves pods/log with tailLines and limitBytes, and 403 when denied', async () => {
    await api.batch.createNamespacedJob({
      namespace: ns,
      body: job('logs', 'for i in $(seq 1 300); do echo "line $i"; done'),
    });
    const pod = await terminatedPod('logs');
    const name = pod.metadata!.name!;
    const tail = await api.core.readNamespacedPodLog({ name, namespace: ns, tailLines: 2 });
    expect(tail).toBe('line 299\nline 300\n');
    const limited = await api.core.readNamespacedPodLog({
      name,
      namespace: ns,
      tailLines: 200,
      limitBytes: 16,
    });
    expect(limited).toBe('line 101\nline 10');
    kube.cluster.denyPodLogs(true);
    const denied = await api.core.readNamespacedPodLog({ name, namespace: ns }).catch((e) => e);
    kube.cluster.denyPodLogs(false);
    expect(denied.code).toBe(403);
  });

  it('streams watch events, resumes from a resourceVersion and answers 410 once compacted', async () => {
    const list = await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=watched' });
    const rv = list.metadata!.resourceVersion!;
    await api.batch.createNamespacedJob({ namespace: ns, body: job('watched', 'exit 0') });
    await terminatedPod('watched');
    const events: string[] = [];
    const watch = new Watch(api.config);
    const request = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: 'job-name=watched', resourceVersion: rv },
      (type, obj) => events.push(`${type}:${obj.status?.phase}`),
      () => {},
    );
    await until(() => events.some((e) => e === 'MODIFIED:Succeeded'));
    request.abort();
    expect(events[0]).toBe('ADDED:Pending');
    kube.cluster.compactWatchHistory();
    const gone: Array<{ type: string; code?: number }> = [];
    await new Promise<void>((resolve) => {
      void watch.watch(
        `/api/v1/namespaces/${ns}/pods`,
        { resourceVersion: rv },
        (type, obj) => gone.push({ type, code: obj.code }),
        () => resolve(),
      );
    });
    expect(gone).toEqual([{ type: 'ERROR', code: 410 }]);
  });

  it('reaps finished Jobs with their pods after ttlSecondsAfterFinished', async () => {
    await api.batch.createNamespacedJob({ namespace: ns, body: job('ttl', 'exit 0', { ttl: 1 }) });
    await podOf('ttl');
    await until(
      async () =>
        (await api.batch.listNamespacedJob({ namespace: ns, fieldSelector: 'metadata.name=ttl' })).items
          .length === 0,
    );
    await until(
      async () =>
        (await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=ttl' })).items.length ===
        0,
    );
  });

  it('deletes Jobs with foreground propagation and fails Jobs past activeDeadlineSeconds', async () => {
    await api.batch.createNamespacedJob({ namespace: ns, body: job('fg', 'sleep 30') });
    await until(async () => (await podOf('fg')).status?.phase === 'Running');
    await api.batch.deleteNamespacedJob({
      name: 'fg',
      namespace: ns,
      body: { propagationPolicy: 'Foreground' },
    });
    await until(
      async () =>
        (await api.batch.listNamespacedJob({ namespace: ns, fieldSelector: 'metadata.name=fg' })).items
          .length === 0,
    );
    expect((await api.core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=fg' })).items).toEqual(
      [],
    );

    await api.batch.createNamespacedJob({
      namespace: ns,
      body: job('deadline', 'sleep 30', { deadline: 1 }),
    });
    const failed = await until(async () => {
      const j = await api.batch.readNamespacedJob({ name: 'deadline', namespace: ns });
      return j.status?.conditions?.find((c) => c.type === 'Failed');
    });
    expect(failed.reason).toBe('DeadlineExceeded');
  });

  it('holds pods in ImagePullBackOff and evicts on request', async () => {
    const release = kube.cluster.holdImagePull('busybox:held');
    const body = job('pull', 'sleep 30');
    body.spec!.template.spec!.containers[0]!.image = 'busybox:held';
    await api.batch.createNamespacedJob({ namespace: ns, body });
    const waiting = await until(
      async () =>
        (await podOf('pull')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    expect(waiting).toBe(true);
    release();
    const pod = await until(async () => {
      const p = await podOf('pull');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    kube.cluster.evictPod(ns, pod.metadata!.name!, 'The node was low on resource: memory.');
    const evicted = await podOf('pull');
    expect(evicted.status?.reason).toBe('Evicted');
    expect(evicted.status?.phase).toBe('Failed');
  });

  it('leaves a pod larger than the node Unschedulable and fails pulling an image the registry lacks', async () => {
    const big = job('too-big', 'sleep 30', { memory: '16Gi' });
    await api.batch.createNamespacedJob({ namespace: ns, body: big });
    const scheduled = await until(async () =>
      (await podOf('too-big')).status?.conditions?.find((c) => c.type === 'PodScheduled'),
    );
    expect(scheduled).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(scheduled.message).toContain('1 Insufficient memory');
    expect((await podOf('too-big')).spec?.nodeName).toBeUndefined();

    const missing = job('missing-image', 'sleep 30');
    missing.spec!.template.spec!.containers[0]!.image = 'registry.test/missing/app:1';
    await api.batch.createNamespacedJob({ namespace: ns, body: missing });
    const waiting = await until(async () => {
      const state = (await podOf('missing-image')).status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === 'ErrImagePull' ? state : undefined;
    });
    expect(waiting.message).toContain('registry.test/missing/app:1: not found');
  });

  it.runIf(process.getuid?.() === 0)(
    'runs a container as its runAsUser/runAsGroup with fsGroup, HOME on a writable emptyDir',
    async () => {
      const asUser = await startFakeKube({ maxGraceSeconds: 1, runAsUser: true });
      try {
        const { batch, core } = clients(asUser);
        const body = job(
          'as-user',
          'id -u; id -g; id -G; touch "$HOME/written" && echo home-ok; touch /root/x 2>/dev/null || echo root-denied',
        );
        const pod = body.spec!.template.spec!;
        pod.securityContext = { runAsUser: 10001, runAsGroup: 10002, fsGroup: 10003 };
        pod.volumes = [{ name: 'home', emptyDir: {} }];
        pod.containers[0]!.volumeMounts = [{ name: 'home', mountPath: '/home/sparkwing' }];
        pod.containers[0]!.env = [{ name: 'HOME', value: '/home/sparkwing' }];
        await batch.createNamespacedJob({ namespace: ns, body });
        const name = await until(
          async () =>
            (await core.listNamespacedPod({ namespace: ns, labelSelector: 'job-name=as-user' })).items.find(
              (p) => p.status?.containerStatuses?.[0]?.state?.terminated,
            )?.metadata?.name,
        );
        const log = await core.readNamespacedPodLog({ namespace: ns, name });
        expect(log.split('\n').slice(0, 5)).toEqual([
          '10001',
          '10002',
          '10002 10003',
          'home-ok',
          'root-denied',
        ]);
      } finally {
        await asUser.close();
      }
    },
  );

  it.runIf(memoryCgroupsWritable())(
    'enforces memory limits through a cgroup: a real OOM kill is OOMKilled, exit 137',
    async () => {
      await api.batch.createNamespacedJob({
        namespace: ns,
        body: job('oom', `exec ${process.execPath} -e "const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))"`, {
          memory: '64Mi',
        }),
      });
      const pod = await terminatedPod('oom');
      const terminated = pod.status!.containerStatuses![0]!.state!.terminated!;
      expect(terminated.reason).toBe('OOMKilled');
      expect(terminated.exitCode).toBe(137);
    },
  );
});
