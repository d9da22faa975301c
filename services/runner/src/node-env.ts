import { ENV } from '@sparkwing/contracts';

/** Credentials of the runner and the services that pipeline code must never see. */
const WITHHELD = [
  ENV.runnerToken,
  ENV.agentToken,
  ENV.adminToken,
  ENV.signingKey,
  ENV.secretKey,
  ENV.webToken,
  ENV.sessionSecret,
  ENV.githubWebhookSecret,
];

/** The environment of a node process: the runner's own minus its credentials, plus the node's. */
export function nodeEnvironment(
  base: Record<string, string | undefined>,
  extra: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const env = { ...base };
  for (const name of WITHHELD) delete env[name];
  return { ...env, ...extra };
}
