import { randomUUID } from 'node:crypto';
import { alreadyExists, invalid, KubeError, notFound } from './errors.js';
import { type KubeObject, now, type ResourceKind, type WatchEventType } from './types.js';

export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  kind: ResourceKind;
  object: KubeObject;
  /** The object before a MODIFIED, so selector watches can emit synthetic ADDED/DELETED. */
  previous?: KubeObject;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const key = (namespace: string, name: string): string => `${namespace}/${name}`;
const clone = <T>(value: T): T => structuredClone(value);

function validateMeta(kind: ResourceKind, object: KubeObject, maxNameLength: number): void {
  const name = object.metadata.name ?? '';
  if (!DNS_SUBDOMAIN.test(name) || name.length > maxNameLength) {
    throw invalid(
      kind,
      name,
      `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain of at most ${maxNameLength} characters`,
    );
  }
  for (const [k, v] of Object.entries(object.metadata.labels ?? {})) {
    if (!LABEL_KEY.test(k) || k.split('/').pop()!.length > 63) {
      throw invalid(
        kind,
        name,
        `metadata.labels: Invalid value: "${k}": name part must be 63 characters or less`,
      );
    }
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      throw invalid(
        kind,
        name,
        `metadata.labels: Invalid value: "${v}": a valid label must be 63 characters or less, alphanumeric, '-', '_' or '.'`,
      );
    }
  }
}

/**
 * All objects of the fake cluster with one global resourceVersion counter and a bounded event history,
 * which is what lets watches resume from a resourceVersion (and answer 410 once it has been compacted).
 */
export class ObjectStore {
  private rv = 0;
  private readonly objects = new Map<ResourceKind, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private oldestRetained = 0;
  private readonly listeners = new Set<(event: StoreEvent) => void>();

  constructor(private readonly historyLimit = 5_000) {
    for (const kind of ['jobs', 'pods', 'secrets', 'events', 'persistentvolumeclaims'] as const)
      this.objects.set(kind, new Map());
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may resume from; anything older gets 410 Gone. */
  get oldestResumable(): number {
    return this.oldestRetained;
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestRetained = dropped[dropped.length - 1]!.rv;
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Drops the whole history: every watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.oldestRetained = this.rv;
  }

  /** Events after `since`, or null when `since` is older than the retained history. */
  eventsSince(since: number): StoreEvent[] | null {
    if (since < this.oldestRetained) return null;
    return this.history.filter((e) => e.rv > since);
  }

  get(kind: ResourceKind, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.get(kind)!.get(key(namespace, name));
    return found ? clone(found) : undefined;
  }

  mustGet(kind: ResourceKind, namespace: string, name: string): KubeObject {
    const found = this.get(kind, namespace, name);
    if (!found) throw notFound(kind, name);
    return found;
  }

  list(kind: ResourceKind, namespace?: string): KubeObject[] {
    const all = [...this.objects.get(kind)!.values()];
    return all
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .map(clone);
  }

  create(kind: ResourceKind, namespace: string, input: KubeObject, maxNameLength = 253): KubeObject {
    const object = clone(input);
    object.metadata = { ...object.metadata, namespace };
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    }
    validateMeta(kind, object, maxNameLength);
    const name = object.metadata.name!;
    const map = this.objects.get(kind)!;
    if (map.has(key(namespace, name))) throw alreadyExists(kind, name);
    this.rv += 1;
    object.metadata.uid = randomUUID();
    object.metadata.resourceVersion = String(this.rv);
    object.metadata.creationTimestamp = now().replace(/\.\d+Z$/, 'Z');
    object.metadata.generation = 1;
    map.set(key(namespace, name), object);
    this.emit({ rv: this.rv, type: 'ADDED', kind, object: clone(object) });
    return clone(object);
  }

  /** Applies `change` to the stored object and emits MODIFIED; returns undefined when the object is gone. */
  update(
    kind: ResourceKind,
    namespace: string,
    name: string,
    change: (object: KubeObject) => void,
  ): KubeObject | undefined {
    const map = this.objects.get(kind)!;
    const current = map.get(key(namespace, name));
    if (!current) return undefined;
    const next = clone(current);
    change(next);
    if (next.metadata.name !== name || next.metadata.namespace !== namespace) {
      throw new KubeError(422, 'Invalid', 'metadata.name and metadata.namespace are immutable');
    }
    if (JSON.stringify(next) === JSON.stringify(current)) return clone(current);
    this.rv += 1;
    next.metadata.resourceVersion = String(this.rv);
    map.set(key(namespace, name), next);
    this.emit({ rv: this.rv, type: 'MODIFIED', kind, object: clone(next), previous: clone(current) });
    return clone(next);
  }

  remove(kind: ResourceKind, namespace: string, name: string): KubeObject | undefined {
    const map = this.objects.get(kind)!;
    const current = map.get(key(namespace, name));
    if (!current) return undefined;
    map.delete(key(namespace, name));
    this.rv += 1;
    const gone = clone(current);
    gone.metadata.resourceVersion = String(this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', kind, object: clone(gone) });
    return gone;
  }

  /** Objects of any kind whose ownerReferences name `uid`. */
  dependentsOf(uid: string): Array<{ kind: ResourceKind; object: KubeObject }> {
    const found: Array<{ kind: ResourceKind; object: KubeObject }> = [];
    for (const [kind, map] of this.objects) {
      for (const object of map.values()) {
        if (object.metadata.ownerReferences?.some((o) => o.uid === uid))
          found.push({ kind, object: clone(object) });
      }
    }
    return found;
  }
}
