import type { Context, Hono } from 'hono';
import type { FakeCluster, PropagationPolicy } from '../cluster.js';
import { badRequest, invalid, KubeError, notFound } from '../errors.js';
import { jsonPatch, mergePatch } from '../patch.js';
import { fieldSelector, labelSelector } from '../selectors.js';
import type { KubeObject, ResourceKind } from '../types.js';
import { watchStream } from './watch.js';

interface ResourceDef {
  kind: ResourceKind;
  prefix: string;
  apiVersion: string;
  kindName: string;
  group: string;
  /** Job names become pod label values, so they are limited to 63 characters. */
  maxNameLength: number;
  validate?: (object: KubeObject) => void;
}

function singleContainer(kind: ResourceKind, object: KubeObject, spec: unknown): void {
  const init = (spec as { initContainers?: Array<{ restartPolicy?: string }> } | undefined)?.initContainers;
  if (init?.some((c) => c.restartPolicy !== 'Always')) {
    throw invalid(
      kind,
      object.metadata.name ?? '',
      'spec.initContainers: fake-kube runs native sidecars (restartPolicy: Always) only',
    );
  }
  const containers = (spec as { containers?: unknown[] } | undefined)?.containers;
  if (!Array.isArray(containers) || containers.length !== 1) {
    throw invalid(
      kind,
      object.metadata.name ?? '',
      'spec.containers: fake-kube runs exactly one container per pod',
    );
  }
}

/** What the API server checks of a claim; the fake provisioner binds it at once (its data is a directory). */
function validateClaim(claim: KubeObject): void {
  const spec = claim.spec as
    | { accessModes?: unknown; resources?: { requests?: { storage?: unknown } } }
    | undefined;
  const name = claim.metadata.name ?? '';
  if (!Array.isArray(spec?.accessModes) || spec.accessModes.length === 0) {
    throw invalid(
      'persistentvolumeclaims',
      name,
      'spec.accessModes: Required value: at least 1 access mode is required',
    );
  }
  if (typeof spec.resources?.requests?.storage !== 'string') {
    throw invalid('persistentvolumeclaims', name, 'spec.resources[storage]: Required value');
  }
  claim.status = {
    phase: 'Bound',
    accessModes: spec.accessModes,
    capacity: { storage: spec.resources.requests.storage },
  };
}

const RESOURCES: ResourceDef[] = [
  {
    kind: 'jobs',
    prefix: '/apis/batch/v1',
    apiVersion: 'batch/v1',
    kindName: 'Job',
    group: 'batch',
    maxNameLength: 63,
    validate: (job) => {
      const template = (job.spec as { template?: { spec?: { restartPolicy?: string } } } | undefined)
        ?.template;
      singleContainer('jobs', job, template?.spec);
      const policy = template?.spec?.restartPolicy;
      if (policy !== 'Never' && policy !== 'OnFailure') {
        throw invalid(
          'jobs',
          job.metadata.name ?? '',
          `spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`,
        );
      }
    },
  },
  {
    kind: 'pods',
    prefix: '/api/v1',
    apiVersion: 'v1',
    kindName: 'Pod',
    group: '',
    maxNameLength: 253,
    validate: (pod) => singleContainer('pods', pod, pod.spec),
  },
  {
    kind: 'secrets',
    prefix: '/api/v1',
    apiVersion: 'v1',
    kindName: 'Secret',
    group: '',
    maxNameLength: 253,
    validate: (secret) => {
      const s = secret as { stringData?: Record<string, string>; data?: Record<string, string> };
      if (s.stringData) {
        s.data = { ...(s.data ?? {}) };
        for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v).toString('base64');
        delete s.stringData;
      }
      secret.type ??= 'Opaque';
    },
  },
  { kind: 'events', prefix: '/api/v1', apiVersion: 'v1', kindName: 'Event', group: '', maxNameLength: 253 },
  {
    kind: 'persistentvolumeclaims',
    prefix: '/api/v1',
    apiVersion: 'v1',
    kindName: 'PersistentVolumeClaim',
    group: '',
    maxNameLength: 253,
    validate: validateClaim,
  },
];

const param = (c: Context, name: string): string => c.req.param(name) ?? '';

const intParam = (value: string | undefined): number | undefined =>
  value === undefined || value === '' ? undefined : Number.parseInt(value, 10);

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
}

function injected(cluster: FakeCluster, verb: string, kind: ResourceKind, name = ''): void {
  const code = cluster.takeFailure(verb, kind, name);
  if (code !== undefined) {
    throw new KubeError(
      code,
      code === 403 ? 'Forbidden' : 'InternalError',
      `injected ${verb} ${kind} failure (fake-kube)`,
    );
  }
}

/** Registers list/watch/create/get/patch/delete (and deletecollection) for Jobs, Pods, Secrets, Events and PVCs. */
export function registerResourceRoutes(app: Hono, cluster: FakeCluster): void {
  const store = cluster.store;
  for (const def of RESOURCES) {
    const decorate = (object: KubeObject): KubeObject => ({
      apiVersion: def.apiVersion,
      kind: def.kindName,
      ...object,
    });
    const collection = `${def.prefix}/namespaces/:ns/${def.kind}`;
    const item = `${collection}/:name`;

    const listOrWatch = (c: Context, namespace: string | undefined) => {
      if (c.req.query('watch') !== 'true') injected(cluster, 'list', def.kind);
      const labels = labelSelector(c.req.query('labelSelector'));
      const fields = fieldSelector(c.req.query('fieldSelector'));
      const selector = (o: KubeObject) => labels(o) && fields(o);
      if (c.req.query('watch') === 'true' || c.req.query('watch') === '1') {
        const body = watchStream(store, {
          kind: def.kind,
          ...(namespace !== undefined ? { namespace } : {}),
          selector,
          ...(c.req.query('resourceVersion') !== undefined
            ? { resourceVersion: c.req.query('resourceVersion') }
            : {}),
          ...(intParam(c.req.query('timeoutSeconds')) !== undefined
            ? { timeoutSeconds: intParam(c.req.query('timeoutSeconds')) }
            : {}),
          signal: c.req.raw.signal,
          decorate,
          register: (close) => cluster.registerWatch(close),
        });
        return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
      }
      const resourceVersion = String(store.resourceVersion);
      const all = store.list(def.kind, namespace).filter(selector);
      const limit = intParam(c.req.query('limit'));
      const offset = c.req.query('continue')
        ? Number(Buffer.from(c.req.query('continue')!, 'base64url').toString())
        : 0;
      const items = limit ? all.slice(offset, offset + limit) : all.slice(offset);
      const more = limit !== undefined && offset + limit < all.length;
      return c.json({
        apiVersion: def.apiVersion,
        kind: `${def.kindName}List`,
        metadata: {
          resourceVersion,
          ...(more ? { continue: Buffer.from(String(offset + limit)).toString('base64url') } : {}),
        },
        items: items.map(decorate),
      });
    };

    app.get(collection, (c) => listOrWatch(c, param(c, 'ns')));
    app.get(`${def.prefix}/${def.kind}`, (c) => listOrWatch(c, undefined));

    app.post(collection, async (c) => {
      const namespace = param(c, 'ns');
      const body = (await readBody(c)) as KubeObject;
      injected(cluster, 'create', def.kind, body?.metadata?.name ?? '');
      if (!body || typeof body !== 'object' || typeof body.metadata !== 'object') {
        throw badRequest('Object has no metadata');
      }
      if (body.metadata.namespace && body.metadata.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (body.kind && body.kind !== def.kindName)
        throw badRequest(`expected kind ${def.kindName}, got ${body.kind}`);
      def.validate?.(body);
      const created = store.create(
        def.kind,
        namespace,
        { ...body, apiVersion: def.apiVersion, kind: def.kindName },
        def.maxNameLength,
      );
      return c.json(decorate(created), 201);
    });

    app.get(item, (c) => c.json(decorate(store.mustGet(def.kind, param(c, 'ns'), param(c, 'name')))));

    app.patch(item, async (c) => {
      injected(cluster, 'patch', def.kind, param(c, 'name'));
      const ns = param(c, 'ns');
      const name = param(c, 'name');
      const current = store.mustGet(def.kind, ns, name);
      const patch = await readBody(c);
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
      let next: KubeObject;
      if (type === 'application/json-patch+json') next = jsonPatch(current, patch) as KubeObject;
      else if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
        next = mergePatch(current, patch) as KubeObject;
      } else
        throw new KubeError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format: ${type}`,
        );
      const updated = store.update(def.kind, ns, name, (o) => {
        for (const key of Object.keys(o)) delete o[key];
        Object.assign(o, next, {
          metadata: { ...next.metadata, uid: current.metadata.uid, name, namespace: ns },
        });
      });
      if (!updated) throw notFound(def.kind, name);
      return c.json(decorate(updated));
    });

    const deleteOptions = async (c: Context) => {
      const body = (await readBody(c)) as {
        propagationPolicy?: PropagationPolicy;
        gracePeriodSeconds?: number;
      };
      const propagationPolicy =
        (c.req.query('propagationPolicy') as PropagationPolicy | undefined) ?? body.propagationPolicy;
      const gracePeriodSeconds = intParam(c.req.query('gracePeriodSeconds')) ?? body.gracePeriodSeconds;
      return {
        ...(propagationPolicy ? { propagationPolicy } : {}),
        ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}),
      };
    };
    const success = (object: KubeObject) => ({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: object.metadata.name, group: def.group, kind: def.kind, uid: object.metadata.uid },
    });

    app.delete(item, async (c) => {
      injected(cluster, 'delete', def.kind, param(c, 'name'));
      const ns = param(c, 'ns');
      const name = param(c, 'name');
      store.mustGet(def.kind, ns, name);
      const result = cluster.delete(def.kind, ns, name, await deleteOptions(c));
      if (def.kind === 'pods' && result) return c.json(decorate(result));
      return c.json(success(result ?? { metadata: { name } }));
    });

    app.delete(collection, async (c) => {
      const namespace = param(c, 'ns');
      const options = await deleteOptions(c);
      const labels = labelSelector(c.req.query('labelSelector'));
      const fields = fieldSelector(c.req.query('fieldSelector'));
      const doomed = store.list(def.kind, namespace).filter((o) => labels(o) && fields(o));
      for (const object of doomed) cluster.delete(def.kind, namespace, object.metadata.name!, options);
      return c.json({
        apiVersion: def.apiVersion,
        kind: `${def.kindName}List`,
        metadata: { resourceVersion: String(store.resourceVersion) },
        items: doomed.map(decorate),
      });
    });
  }
}
