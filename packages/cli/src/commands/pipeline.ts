import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ClientError } from '@sparkwing/client';
import { ConfigError, parseSparkwingConfig } from '@sparkwing/sdk/config';
import { type Command, InvalidArgumentError } from 'commander';
import { jsonReporter, terminalReporter } from '../local/render.js';
import { cacheClient, describeClientError, openBackend } from '../remote/backend.js';
import { followRun } from '../remote/follow.js';
import { uploadWorkingTree } from '../remote/upload.js';
import { loadSparkwingConfig, registerPipelineLint } from './pipeline-lint.js';
import {
  action,
  CliFailure,
  type CliPaths,
  outputOption,
  printJson,
  profileOption,
  withExamples,
} from './context.js';

function collectArg(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

interface TriggerOptions {
  profile?: string;
  dir: string;
  arg: Record<string, string>;
  wait: boolean;
  followLogs?: boolean;
  output: string;
}

/** `sparkwing pipeline list|lint|trigger`. */
export function registerPipelineCommands(program: Command, paths: () => CliPaths): void {
  const pipeline = withExamples(program.command('pipeline').description('pipelines of this repository'), [
    'sparkwing pipeline list',
    'sparkwing pipeline lint',
    'sparkwing pipeline trigger hello --profile prod --follow-logs',
  ]);
  registerPipelineLint(pipeline);

  withExamples(
    pipeline
      .command('list')
      .description('pipelines declared in .sparkwing/sparkwing.yaml')
      .option('--dir <path>', 'repository containing .sparkwing/', '.')
      .addOption(outputOption()),
    ['sparkwing pipeline list -o json'],
  ).action(
    action(async (opts: { dir: string; output: string }) => {
      const { config } = loadSparkwingConfig(opts.dir);
      if (opts.output === 'json')
        printJson({ pipelines: config.pipelines, defaults: config.defaults ?? null });
      else
        for (const entry of config.pipelines)
          process.stdout.write(`${entry.name.padEnd(20)} ${entry.description ?? ''}\n`);
      return 0;
    }),
  );

  withExamples(
    pipeline
      .command('trigger')
      .description(
        'upload the working tree (tracked + untracked, not ignored) and run a pipeline on a controller',
      )
      .argument('<name>', 'pipeline name from .sparkwing/sparkwing.yaml')
      .addOption(profileOption())
      .option('--dir <path>', 'repository to upload', '.')
      .option('--arg <key=value>', 'pipeline argument (repeatable)', collectArg, {})
      .option('--no-wait', 'print the run id and return at once')
      .option('--follow-logs', 'stream every node’s log lines while following')
      .addOption(outputOption()),
    [
      'sparkwing pipeline trigger hello --profile prod',
      'sparkwing pipeline trigger hello --arg name=world --follow-logs',
      'sparkwing pipeline trigger hello --no-wait -o json',
    ],
  ).action(action(async (name: string, opts: TriggerOptions) => trigger(name, opts, paths())));
}

async function trigger(name: string, opts: TriggerOptions, paths: CliPaths): Promise<number> {
  const dir = resolve(opts.dir);
  const json = opts.output === 'json';
  const file = join(dir, '.sparkwing', 'sparkwing.yaml');
  if (existsSync(file)) {
    const config = parseSparkwingConfig(readFileSync(file, 'utf8'), file);
    if (!config.pipelines.some((entry) => entry.name === name)) {
      throw new ConfigError(
        file,
        null,
        null,
        `no pipeline "${name}" (known: ${config.pipelines.map((entry) => entry.name).join(', ')})`,
      );
    }
  }
  const backend = await openBackend({
    ...paths,
    profile: opts.profile,
    dir,
    requireRemote: true,
    useDefaults: true,
  });
  const say = (text: string) => {
    if (!json) process.stderr.write(text);
  };
  try {
    const upload = await uploadWorkingTree(cacheClient(backend), dir, paths.home);
    say(
      `uploaded ${upload.kind === 'full' ? 'the full tree' : `a delta on ${upload.base?.slice(0, 16)}`} (${upload.files_sent} files sent, ${upload.deleted} deleted, ${upload.tree_files} in the tree) → ${upload.upload_ref.slice(0, 19)}…\n`,
    );
    const { run_id: runId } = await backend.controller.trigger({
      pipeline: name,
      args: opts.arg,
      upload_ref: upload.upload_ref,
    });
    if (!opts.wait) {
      if (json) printJson({ run_id: runId, upload });
      else process.stdout.write(`${runId}\n`);
      return 0;
    }
    const write = (text: string) => process.stdout.write(text);
    const reporter = json
      ? jsonReporter(write)
      : terminalReporter(write, process.stdout.isTTY === true && !process.env.NO_COLOR);
    if (json) write(`${JSON.stringify({ event: 'uploaded', ...upload })}\n`);
    else write(`sparkwing pipeline trigger ${name}  ${runId} on ${backend.label}\n`);
    const cancel = new AbortController();
    const onSignal = () => {
      cancel.abort();
      void backend.controller.cancelRun(runId).catch(() => undefined);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const detail = await followRun({
      controller: backend.controller,
      logs: backend.logs,
      runId,
      reporter,
      signal: cancel.signal,
      logLines: opts.followLogs && !json ? (nodeId, line) => write(`    ${nodeId} │ ${line}\n`) : undefined,
    });
    reporter.finished(detail);
    return detail.run.status === 'success' ? 0 : 1;
  } catch (error) {
    if (error instanceof ClientError) throw new CliFailure(describeClientError(error, backend));
    throw error;
  } finally {
    await backend.close();
  }
}
