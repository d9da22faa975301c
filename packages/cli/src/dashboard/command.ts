import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { outputOption } from '../commands/context.js';
import { DEFAULT_DASHBOARD_PORT } from './files.js';
import { dashboardStatus, startDashboard, stopDashboard } from './start.js';

export interface DashboardCommandOptions {
  /** How to re-invoke this CLI for `dashboard serve`; defaults to `[node, <this script>]`. */
  entry?: string[];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return port;
}

function homeOf(option: string | undefined): string {
  return resolve(option ?? process.env.SPARKWING_HOME ?? join(homedir(), '.sparkwing'));
}

const homeOption = () =>
  new Option('--home <dir>', 'state directory (default: $SPARKWING_HOME or ~/.sparkwing)');

/** `sparkwing dashboard start|status|kill` (and the internal `serve` that `start` spawns). */
export function registerDashboardCommand(program: Command, options: DashboardCommandOptions = {}): Command {
  const entry = options.entry ?? [process.execPath, process.argv[1]!];
  const dashboard = program
    .command('dashboard')
    .description('the local dashboard: runs, logs and resource charts from $SPARKWING_HOME in the browser');

  dashboard
    .command('start')
    .description(`start (or restart) the dashboard in the background on 127.0.0.1:${DEFAULT_DASHBOARD_PORT}`)
    .option('-p, --port <port>', 'port to listen on', parsePort, DEFAULT_DASHBOARD_PORT)
    .addOption(homeOption())
    .action(async (opts: { port: number; home?: string }) => {
      const home = homeOf(opts.home);
      let started: Awaited<ReturnType<typeof startDashboard>>;
      try {
        started = await startDashboard({ home, port: opts.port, entry });
      } catch (error) {
        process.stderr.write(`sparkwing dashboard: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (started.replaced !== null)
        process.stdout.write(`stopped the previous dashboard (pid ${started.replaced})\n`);
      process.stdout.write(
        `dashboard running at ${started.url} (pid ${started.pid}, log ${started.logFile})\n`,
      );
    });

  dashboard
    .command('status')
    .description('show whether the dashboard is running and where')
    .addOption(outputOption())
    // The spelling before `-o json` became the CLI-wide one; kept so existing scripts keep working.
    .addOption(new Option('--json').hideHelp())
    .addOption(homeOption())
    .action(async (opts: { output: string; json?: boolean; home?: string }) => {
      const status = await dashboardStatus(homeOf(opts.home));
      if (opts.output === 'json' || opts.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else if (!status.running)
        process.stdout.write('dashboard is not running (start it with `sparkwing dashboard start`)\n');
      else {
        const health = status.answering ? 'answering' : 'NOT answering';
        process.stdout.write(
          `dashboard running at ${status.url} (pid ${status.pid}, ${health}, since ${status.started_at})\n`,
        );
      }
      if (!status.running) process.exitCode = 1;
    });

  dashboard
    .command('kill')
    .description('stop the dashboard')
    .addOption(homeOption())
    .action(async (opts: { home?: string }) => {
      const pid = await stopDashboard(homeOf(opts.home));
      process.stdout.write(
        pid === null ? 'dashboard was not running\n' : `stopped the dashboard (pid ${pid})\n`,
      );
    });

  dashboard
    .command('serve', { hidden: true })
    .description('run the dashboard in the foreground (what `start` spawns)')
    .option('-p, --port <port>', 'port to listen on', parsePort, DEFAULT_DASHBOARD_PORT)
    .addOption(homeOption())
    .action(async (opts: { port: number; home?: string }) => {
      try {
        const { serveDashboard } = await import('./serve.js');
        await serveDashboard({ home: homeOf(opts.home), port: opts.port });
      } catch (error) {
        process.stderr.write(`sparkwing dashboard: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });

  return dashboard;
}
