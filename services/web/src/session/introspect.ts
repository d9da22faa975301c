import { ApiError, introspectResponseSchema } from '@sparkwing/contracts';
import type { Introspect } from '@sparkwing/telemetry';
import type { Upstream } from '../deps.js';

/** Asks the controller who a token belongs to; null when it is not a valid token, 502 when it cannot say. */
export function introspectAt(controller: Upstream): Introspect {
  return async (token) => {
    let response: Response;
    try {
      response = await controller.fetch(`${controller.baseUrl}/api/v1/auth/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    } catch (error) {
      throw new ApiError(
        'bad_gateway',
        `the controller could not be reached to check the token: ${(error as Error).message}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ApiError(
        'bad_gateway',
        `the controller answered ${response.status} while checking the token`,
      );
    }
    const parsed = introspectResponseSchema.safeParse(await response.json());
    if (!parsed.success)
      throw new ApiError('bad_gateway', 'the controller sent an unexpected introspection answer');
    return parsed.data;
  };
}
