import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@sparkwing/telemetry';
import { apiMessage, type KubeClients } from './kube.js';

const RETRY_MS = 1_000;
const WATCH_TIMEOUT_S = 300;

/**
 * A pod watch that survives: it lists first to get a resourceVersion, resumes from the last version seen
 * after every disconnect, and relists when the server answers 410 Gone (history compacted).
 */
export class PodWatch {
  private resourceVersion: string | undefined;
  /** Why the next relist happens: first start, or the server answered 410 Gone. */
  private relistReason: 'start' | 'gone' = 'start';
  private stopped = true;
  private abort: { abort(): void } | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kube: KubeClients,
    private readonly namespace: string,
    private readonly labelSelector: string,
    private readonly log: Logger,
    private readonly onEvent: (type: string, pod: V1Pod) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.loop = this.run();
  }

  /** Aborts the open watch and resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchOnce();
      } catch (error) {
        this.log.warn('runner pod watch failed; retrying', { error: apiMessage(error) });
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private async relist(): Promise<void> {
    const list = await this.kube.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: this.labelSelector,
    });
    for (const pod of list.items) this.onEvent('MODIFIED', pod);
    this.resourceVersion = list.metadata?.resourceVersion;
    this.log.info('runner pods listed', {
      reason: this.relistReason,
      resource_version: this.resourceVersion,
    });
    this.relistReason = 'gone';
  }

  private watchOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const path = `/api/v1/namespaces/${this.namespace}/pods`;
      const query = {
        labelSelector: this.labelSelector,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: WATCH_TIMEOUT_S,
      };
      this.kube.watch
        .watch(
          path,
          query,
          (type, object: V1Pod & { code?: number }) => {
            if (type === 'ERROR') {
              if (object.code === 410) this.resourceVersion = undefined;
              return;
            }
            const rv = object.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (type !== 'BOOKMARK') this.onEvent(type, object);
          },
          (error) => {
            this.abort = undefined;
            if (error && (error as { statusCode?: number }).statusCode === 410)
              this.resourceVersion = undefined;
            if (error && (error as Error).name !== 'AbortError' && !this.stopped) reject(error);
            else resolve();
          },
        )
        .then((controller) => {
          this.abort = controller;
          if (this.stopped) controller.abort();
        })
        .catch(reject);
    });
  }
}
