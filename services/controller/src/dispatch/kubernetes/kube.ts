import { BatchV1Api, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubernetesDispatchConfig } from './config.js';

export interface KubeClients {
  batch: BatchV1Api;
  core: CoreV1Api;
  watch: Watch;
}

/** Clients from KUBECONFIG when configured, the in-cluster service account otherwise. */
export function kubeClients(config: KubernetesDispatchConfig, kubeConfig?: KubeConfig): KubeClients {
  let kc = kubeConfig;
  if (!kc) {
    kc = new KubeConfig();
    if (config.kubeconfigPath) kc.loadFromFile(config.kubeconfigPath);
    else kc.loadFromCluster();
  }
  return { batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api), watch: new Watch(kc) };
}

/** The HTTP status of a failed Kubernetes API call (ApiException.code), if any. */
export function apiStatus(error: unknown): number | undefined {
  const code =
    (error as { code?: unknown; statusCode?: unknown } | null)?.code ??
    (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && 'message' in body)
    return String((body as { message: unknown }).message);
  return (error as Error)?.message ?? String(error);
}
