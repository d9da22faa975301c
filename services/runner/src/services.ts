import { ControllerClient, LogShipper } from '@sparkwing/client';
import type { ShipperFactory } from './shipper.js';

/** A log shipper factory for a logs service reachable over HTTP. */
export function httpShipperFactory(logsUrl: string): ShipperFactory {
  return ({ runId, nodeId, token }) => new LogShipper({ baseUrl: logsUrl, runId, nodeId, token });
}

export function controllerClient(options: { controllerUrl: string; token?: string }): ControllerClient {
  return new ControllerClient({
    baseUrl: options.controllerUrl,
    token: options.token,
    userAgent: 'sparkwing-runner',
  });
}
