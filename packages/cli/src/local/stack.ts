import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { ControllerClient, type FetchLike } from '@sparkwing/client';
import { type ControllerApp, createController } from '@sparkwing/controller';
import { createLogsService, introspectWithController, type LogsApp } from '@sparkwing/logs';
import { type Logger, silentLogger } from '@sparkwing/telemetry';
import { withHomeLock } from './home-lock.js';

export interface LocalStackOptions {
  /** $SPARKWING_HOME: state.db, keys, and log files under runs/. */
  home: string;
  logger?: Logger;
  /** Run the lease/queue sweeps in this process (default true). */
  sweep?: boolean;
}

export interface LocalStack {
  /** Admin client talking to the in-process controller app (no socket). */
  controller: ControllerClient;
  controllerApp: ControllerApp;
  /** Fetch of the in-process controller app, for other clients. */
  controllerFetch: FetchLike;
  logsApp: LogsApp;
  /** Fetch of the in-process logs app (use with LogShipper / LogsClient and any base URL). */
  logsFetch: FetchLike;
  adminToken: string;
  signingKey: string;
  home: string;
  close(): Promise<void>;
}

/** Who runs `sparkwing run` here: the actor of local runs. */
function localUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    return process.env.USER || undefined;
  }
}

/** Base URLs the in-process apps are addressed with; nothing listens on them. */
export const LOCAL_CONTROLLER_URL = 'http://sparkwing-controller.local';
export const LOCAL_LOGS_URL = 'http://sparkwing-logs.local';

/**
 * The controller and logs services of local mode, mounted in-process over `$SPARKWING_HOME`: the same
 * apps a cluster runs, so the records are the same. Several processes may open the same home at once.
 */
export async function openLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  mkdirSync(options.home, { recursive: true });
  const logger = options.logger ?? silentLogger;
  // Two `sparkwing run`s on a fresh home would otherwise race the database migrations.
  const controller = await withHomeLock(options.home, () =>
    createController({
      dataDir: options.home,
      allowLocalPath: true,
      localActor: localUser(),
      logger,
      logsUrl: LOCAL_LOGS_URL,
    }),
  );
  if (!controller.adminToken) {
    controller.close();
    throw new Error(
      `no admin token in ${options.home}/admin-token: delete ${options.home}/state.db or restore the file`,
    );
  }
  const controllerFetch: FetchLike = (input, init) => Promise.resolve(controller.app.request(input, init));
  const client = new ControllerClient({
    baseUrl: LOCAL_CONTROLLER_URL,
    token: controller.adminToken,
    fetch: controllerFetch,
    userAgent: 'sparkwing-cli',
  });
  const logs = createLogsService({
    dataDir: options.home,
    signingKey: controller.signingKey,
    introspect: introspectWithController(client),
    logger,
  });
  if (options.sweep !== false) controller.sweeper.start();
  let closed = false;
  return {
    controller: client,
    controllerApp: controller.app,
    controllerFetch,
    logsApp: logs.app,
    logsFetch: (input, init) => Promise.resolve(logs.app.request(input, init)),
    adminToken: controller.adminToken,
    signingKey: controller.signingKey,
    home: options.home,
    async close() {
      if (closed) return;
      closed = true;
      await logs.close();
      controller.close();
    },
  };
}
