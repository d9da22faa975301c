import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ClientError } from '@sparkwing/client';
import { ConfigError } from '@sparkwing/sdk/config';
import { type Command, Option } from 'commander';
import { ProfilesError } from '../profiles/store.js';
import { RemoteSetupError } from '../remote/backend.js';
import { WorkingTreeError } from '../remote/working-tree.js';

/** The one place the CLI's remote commands read their directories from the environment. */
export interface CliPaths {
  /** profiles.yaml lives here. */
  configDir: string;
  /** $SPARKWING_HOME: local store, upload records. */
  home: string;
}

export function cliPaths(env: NodeJS.ProcessEnv = process.env): CliPaths {
  const configDir = env.SPARKWING_CONFIG_DIR
    ? resolve(env.SPARKWING_CONFIG_DIR)
    : join(env.XDG_CONFIG_HOME ? resolve(env.XDG_CONFIG_HOME) : join(homedir(), '.config'), 'sparkwing');
  return { configDir, home: resolve(env.SPARKWING_HOME ?? join(homedir(), '.sparkwing')) };
}

/** A mistake in how the command was called: exit 2. */
export class CliUsageError extends Error {}

/** A remote or run failure already explained: exit 1 with this message. */
export class CliFailure extends Error {}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The options `profileOption()` and `outputOption()` add to a command. */
export interface CommonOptions {
  profile?: string;
  output: string;
}

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}

export function profileOption(): Option {
  return new Option('--profile <name>', 'controller profile (see `sparkwing profile list`)');
}

export function withExamples(command: Command, examples: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Runs a command body and turns every known error into one line on stderr and the documented exit code. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | undefined>) {
  return async (...args: A) => {
    let code: number;
    try {
      code = (await body(...args)) ?? EXIT.ok;
    } catch (error) {
      code = report(error);
    }
    // Idle sockets or an in-process store must not keep the process alive.
    process.exit(code);
  };
}

function report(error: unknown): number {
  const write = (message: string) => process.stderr.write(`sparkwing: ${message}\n`);
  if (error instanceof CliUsageError || error instanceof ConfigError) {
    write(error.message);
    return EXIT.usage;
  }
  if (
    error instanceof ProfilesError ||
    error instanceof RemoteSetupError ||
    error instanceof WorkingTreeError
  ) {
    write(error.message);
    return EXIT.failure;
  }
  if (error instanceof CliFailure) {
    write(error.message);
    return EXIT.failure;
  }
  if (error instanceof ClientError) {
    write(`${error.status === 0 ? '' : `${error.status} ${error.code}: `}${error.message}`);
    return EXIT.failure;
  }
  write((error as Error).stack ?? String(error));
  return EXIT.failure;
}
