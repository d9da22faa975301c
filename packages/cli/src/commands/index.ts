import type { Command } from 'commander';
import { registerAdminCommands } from './admin.js';
import { cliPaths } from './context.js';
import { registerPipelineCommands } from './pipeline.js';
import { registerProfileCommands } from './profile.js';
import { registerRunsCommands } from './runs.js';

/** Registers `profile`, `pipeline`, `runs`, `tokens` and `secrets` (the commands that reach a controller). */
export function registerRemoteCommands(program: Command): void {
  let memo: ReturnType<typeof cliPaths> | undefined;
  const paths = () => {
    memo ??= cliPaths();
    return memo;
  };
  registerProfileCommands(program, paths);
  registerPipelineCommands(program, paths);
  registerRunsCommands(program, paths);
  registerAdminCommands(program, paths);
}
