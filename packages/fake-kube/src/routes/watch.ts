import type { Selector } from '../selectors.js';
import type { ObjectStore, StoreEvent } from '../store.js';
import type { KubeObject, ResourceKind } from '../types.js';

export interface WatchRequest {
  kind: ResourceKind;
  namespace?: string;
  selector: Selector;
  resourceVersion?: string;
  timeoutSeconds?: number;
  signal: AbortSignal;
  decorate: (object: KubeObject) => KubeObject;
  /** Registers the stream's close function (so tests can drop every watch); returns the unregister. */
  register: (close: () => void) => () => void;
}

/**
 * A watch as the API server streams it: one JSON object per line. Without a resourceVersion (or "0") it
 * starts with synthetic ADDED events for what exists; with one it replays history after it, or sends an
 * ERROR event carrying a 410 Expired Status when that version has been compacted away.
 */
export function watchStream(store: ObjectStore, request: WatchRequest): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (type: string, object: unknown) => {
        if (!closed) controller.enqueue(encoder.encode(`${JSON.stringify({ type, object })}\n`));
      };
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      const inScope = (o: KubeObject) =>
        request.namespace === undefined || o.metadata.namespace === request.namespace;
      const translate = (event: StoreEvent) => {
        if (event.kind !== request.kind || !inScope(event.object)) return;
        const now = request.selector(event.object);
        const before = event.previous ? request.selector(event.previous) : false;
        if (event.type === 'MODIFIED') {
          if (now && before) send('MODIFIED', request.decorate(event.object));
          else if (now) send('ADDED', request.decorate(event.object));
          else if (before) send('DELETED', request.decorate(event.object));
        } else if (now) send(event.type, request.decorate(event.object));
      };

      const rv = request.resourceVersion;
      if (!rv || rv === '0') {
        for (const object of store.list(request.kind, request.namespace)) {
          if (request.selector(object)) send('ADDED', request.decorate(object));
        }
      } else {
        const replay = store.eventsSince(Number(rv));
        if (replay === null) {
          send('ERROR', {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `too old resource version: ${rv} (${store.oldestResumable})`,
            reason: 'Expired',
            code: 410,
          });
          closed = true;
          controller.close();
          return;
        }
        for (const event of replay) translate(event);
      }
      const unsubscribe = store.subscribe(translate);
      const timer =
        request.timeoutSeconds !== undefined ? setTimeout(close, request.timeoutSeconds * 1000) : undefined;
      const onAbort = () => close();
      request.signal.addEventListener('abort', onAbort);
      const unregister = request.register(close);
      cleanup = () => {
        unregister();
        unsubscribe();
        if (timer) clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
      };
    },
    cancel() {
      cleanup();
    },
  });
}
