import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerRemoteCommands } from './commands/index.js';
import { registerDashboardCommand } from './dashboard/command.js';

function collectArg(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function home(): string {
  return resolve(process.env.SPARKWING_HOME ?? join(homedir(), '.sparkwing'));
}

const program = new Command('sparkwing')
  .description('Sparkwing: CI/CD pipelines in TypeScript, on your laptop and on Kubernetes')
  .version('0.1.0')
  .exitOverride();

program
  .command('run')
  .description('run a pipeline from the working tree in local mode (no services needed)')
  .argument('<pipeline>', 'pipeline name from .sparkwing/sparkwing.yaml')
  .option('--dir <path>', 'repository containing .sparkwing/', '.')
  .option('--arg <key=value>', 'pipeline argument (repeatable)', collectArg, {})
  .option('--label <label>', 'extra runner label the local runner advertises (repeatable)', collect, [])
  .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
  .action(
    async (
      pipeline: string,
      opts: { dir: string; arg: Record<string, string>; label: string[]; output: string },
    ) => {
      // Loaded on demand: the local stack (SQLite, the services, the runner) is only for this command.
      const { localRun, UsageError } = await import('./local/run.js');
      const code = await localRun({
        pipeline,
        dir: opts.dir,
        args: opts.arg,
        home: home(),
        json: opts.output === 'json',
        labels: opts.label,
        color: process.stdout.isTTY === true && !process.env.NO_COLOR,
      }).catch((error: unknown) => {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`sparkwing: ${error.message}\n`);
        return 2;
      });
      // Nothing of the run may linger (timers, idle sockets); stdout to a pipe or file is synchronous here.
      process.exit(code);
    },
  );

registerDashboardCommand(program);
registerRemoteCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
    return;
  }
  process.stderr.write(`sparkwing: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
