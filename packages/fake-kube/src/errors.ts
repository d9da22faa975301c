/** A Kubernetes `Status` failure: what the API server returns for every error. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string },
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const GROUP: Record<string, string> = { jobs: 'batch', pods: '', secrets: '', events: '' };

const qualified = (resource: string): string =>
  GROUP[resource] ? `${resource}.${GROUP[resource]}` : resource;

export const notFound = (resource: string, name: string): KubeError =>
  new KubeError(404, 'NotFound', `${qualified(resource)} "${name}" not found`, {
    name,
    group: GROUP[resource] ?? '',
    kind: resource,
  });

export const alreadyExists = (resource: string, name: string): KubeError =>
  new KubeError(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, {
    name,
    group: GROUP[resource] ?? '',
    kind: resource,
  });

export const invalid = (resource: string, name: string, why: string): KubeError =>
  new KubeError(422, 'Invalid', `${qualified(resource)} "${name}" is invalid: ${why}`, {
    name,
    group: GROUP[resource] ?? '',
    kind: resource,
  });

export const badRequest = (message: string): KubeError => new KubeError(400, 'BadRequest', message);

export const forbidden = (message: string): KubeError => new KubeError(403, 'Forbidden', message);
