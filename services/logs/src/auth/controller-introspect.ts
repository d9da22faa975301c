import { ClientError, type ControllerClient } from '@sparkwing/client';
import type { Introspect } from '@sparkwing/telemetry';

/** Introspection through the controller's `POST /api/v1/auth/introspect`; 401/403 there means "not valid". */
export function introspectWithController(controller: ControllerClient): Introspect {
  return async (token) => {
    try {
      return await controller.introspect(token);
    } catch (error) {
      if (error instanceof ClientError && (error.status === 401 || error.status === 403)) return null;
      throw error;
    }
  };
}
