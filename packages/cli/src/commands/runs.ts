import { ClientError } from '@sparkwing/client';
import {
  isTerminalNodeStatus,
  isTerminalRunStatus,
  type LogRecord,
  RUN_STATUSES,
  TRIGGER_EVENTS,
} from '@sparkwing/contracts';
import { type Command, Option } from 'commander';
import { type Backend, describeClientError, openBackend } from '../remote/backend.js';
import {
  action,
  CliFailure,
  CliUsageError,
  type CliPaths,
  type CommonOptions,
  outputOption,
  printJson,
  profileOption,
  withExamples,
} from './context.js';
import { prune } from './runs-prune.js';
import { errorsText, logPrefix, nodeErrors, RUNS_HEADER, runLine, statusText } from './runs-view.js';

type Common = CommonOptions;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Streams each node until its final record. A node that ends without ever starting (skipped, cancelled
 * while pending) writes no final record, so the run is polled and such streams are stopped; once the run is
 * over, the rest get a short grace to deliver their last lines.
 */
async function followLogs(
  backend: Backend,
  runId: string,
  nodes: string[],
  emit: (nodeId: string, record: LogRecord) => void,
): Promise<void> {
  const aborts = new Map(nodes.map((nodeId) => [nodeId, new AbortController()]));
  let done = false;
  const streams = Promise.all(
    nodes.map(async (nodeId) => {
      const signal = aborts.get(nodeId)!.signal;
      let last = 0;
      const seen = (record: LogRecord) => {
        last = record.seq;
        emit(nodeId, record);
      };
      for await (const record of backend.logs.stream(runId, nodeId, { signal })) seen(record);
      // A stream ends at the first final record; a retried node writes more attempts after it.
      while (!signal.aborted) {
        const node = await backend.controller.getNode(runId, nodeId);
        for (const record of await backend.logs.read(runId, nodeId, { afterSeq: last })) seen(record);
        if (isTerminalNodeStatus(node.status)) return;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }),
  ).finally(() => {
    done = true;
  });
  const watch = (async () => {
    let graceUntil: number | null = null;
    while (!done) {
      const detail = await backend.controller.getRun(runId);
      for (const node of detail.nodes) {
        if (isTerminalNodeStatus(node.status) && !node.started_at) aborts.get(node.id)?.abort();
      }
      if (isTerminalRunStatus(detail.run.status)) graceUntil ??= Date.now() + 3_000;
      if (graceUntil !== null && Date.now() > graceUntil) {
        for (const controller of aborts.values()) controller.abort();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  })();
  await Promise.all([streams, watch]);
}

/** Opens the local store, or the controller of `--profile`, runs `body`, and explains API errors. */
export async function withBackend(
  paths: CliPaths,
  opts: Common,
  runId: string | undefined,
  body: (backend: Backend) => Promise<number>,
) {
  const backend = await openBackend({
    ...paths,
    profile: opts.profile,
    dir: process.cwd(),
    requireRemote: false,
    useDefaults: false,
  });
  try {
    return await body(backend);
  } catch (error) {
    if (error instanceof ClientError) {
      throw new CliFailure(describeClientError(error, backend, runId ? `run "${runId}"` : undefined));
    }
    throw error;
  } finally {
    await backend.close();
  }
}

/** `sparkwing runs list|status|logs|errors|cancel|retry|prune` (local store by default, `--profile` for a controller). */
export function registerRunsCommands(program: Command, paths: () => CliPaths): void {
  const runs = withExamples(
    program
      .command('runs')
      .description('inspect and manage runs (the local store, or a controller with --profile)'),
    [
      'sparkwing runs list',
      'sparkwing runs errors run_… --profile prod',
      'sparkwing runs prune --older-than 30d --dry-run',
    ],
  );
  const common = (command: Command) => command.addOption(profileOption()).addOption(outputOption());

  withExamples(
    common(runs.command('list').description('recent runs, newest first'))
      .option('--pipeline <name>', 'only this pipeline')
      .addOption(new Option('--status <status>', 'only runs in this status').choices([...RUN_STATUSES]))
      .option('--branch <name>', 'only runs of this branch (pull requests: the head branch)')
      .addOption(
        new Option('--event <event>', 'only runs triggered by this event').choices([...TRIGGER_EVENTS]),
      )
      .option('--limit <n>', 'how many', '20'),
    [
      'sparkwing runs list --status failed',
      'sparkwing runs list --branch main --event push --profile prod',
      'sparkwing runs list --profile prod -o json',
    ],
  ).action(
    action(
      async (
        opts: Common & { pipeline?: string; status?: string; branch?: string; event?: string; limit: string },
      ) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          throw new CliUsageError('--limit must be 1..500');
        return withBackend(paths(), opts, undefined, async (backend) => {
          const page = await backend.controller.listRuns({
            pipeline: opts.pipeline,
            status: opts.status,
            branch: opts.branch,
            event: opts.event,
            limit,
          });
          if (opts.output === 'json') printJson(page);
          else if (page.runs.length === 0) process.stdout.write(`no runs (${backend.label})\n`);
          else process.stdout.write(RUNS_HEADER + page.runs.map(runLine).join(''));
          return 0;
        });
      },
    ),
  );

  withExamples(common(runs.command('status').description('a run and its nodes').argument('<run-id>')), [
    'sparkwing runs status run_01J…',
  ]).action(
    action(async (runId: string, opts: Common) =>
      withBackend(paths(), opts, runId, async (backend) => {
        const detail = await backend.controller.getRun(runId);
        if (opts.output === 'json') printJson(detail);
        else process.stdout.write(statusText(detail));
        return 0;
      }),
    ),
  );

  withExamples(
    common(
      runs.command('logs').description("a run's stored logs (every node, or --node)").argument('<run-id>'),
    )
      .option('--node <id>', 'one node only')
      .option('-f, --follow', 'stream new lines until the node (or every node) finishes'),
    ['sparkwing runs logs run_01J… --node build', 'sparkwing runs logs run_01J… --follow'],
  ).action(
    action(async (runId: string, opts: Common & { node?: string; follow?: boolean }) =>
      withBackend(paths(), opts, runId, async (backend) => {
        const detail = await backend.controller.getRun(runId);
        const nodes = opts.node ? [opts.node] : detail.nodes.map((node) => node.id);
        if (opts.node && !detail.nodes.some((node) => node.id === opts.node)) {
          throw new CliFailure(
            `run ${runId} has no node "${opts.node}" (nodes: ${detail.nodes.map((node) => node.id).join(', ')})`,
          );
        }
        const prefix = logPrefix(nodes);
        const emit = (nodeId: string, record: LogRecord) => {
          if (opts.output === 'json')
            process.stdout.write(`${JSON.stringify({ node_id: nodeId, ...record })}\n`);
          else process.stdout.write(`${prefix(nodeId)}${record.msg}\n`);
        };
        if (opts.follow) {
          await followLogs(backend, runId, nodes, emit);
          return 0;
        }
        for (const nodeId of nodes) {
          for (const record of await backend.logs.read(runId, nodeId)) emit(nodeId, record);
        }
        return 0;
      }),
    ),
  );

  withExamples(
    common(
      runs
        .command('errors')
        .description('failed nodes: reason, what to do, exit code, log tail')
        .argument('<run-id>'),
    ),
    ['sparkwing runs errors run_01J…'],
  ).action(
    action(async (runId: string, opts: Common) =>
      withBackend(paths(), opts, runId, async (backend) => {
        const detail = await backend.controller.getRun(runId);
        const errors = nodeErrors(detail);
        if (opts.output === 'json')
          printJson({
            run_id: runId,
            status: detail.run.status,
            failure_reason: detail.run.failure_reason,
            failed: errors,
          });
        else process.stdout.write(errorsText(detail, errors));
        return 0;
      }),
    ),
  );

  withExamples(
    common(runs.command('cancel').description('cancel a queued or running run').argument('<run-id>')),
    ['sparkwing runs cancel run_01J… --profile prod'],
  ).action(
    action(async (runId: string, opts: Common) =>
      withBackend(paths(), opts, runId, async (backend) => {
        const { run } = await backend.controller.cancelRun(runId);
        if (opts.output === 'json') printJson({ run });
        else
          process.stdout.write(
            `run ${run.id}: ${isTerminalRunStatus(run.status) ? run.status : 'cancel requested'}\n`,
          );
        return 0;
      }),
    ),
  );

  withExamples(
    common(
      runs
        .command('retry')
        .description('start a new run with the same pipeline, args and code')
        .argument('<run-id>'),
    ),
    ['sparkwing runs retry run_01J… --profile prod'],
  ).action(
    action(async (runId: string, opts: Common) =>
      withBackend(paths(), opts, runId, async (backend) => {
        const answer = await backend.controller.retryRun(runId);
        if (opts.output === 'json') printJson(answer);
        else process.stdout.write(`${answer.run_id}\n`);
        return 0;
      }),
    ),
  );

  withExamples(
    common(runs.command('prune').description('delete finished runs with their nodes, metrics and logs'))
      .option('--older-than <duration>', 'runs that finished more than this long ago (e.g. 30d, 12h)')
      .option('--run <id>', 'a run to delete (repeatable)', collect, [])
      .option('--dry-run', 'list what would be deleted'),
    [
      'sparkwing runs prune --older-than 30d --dry-run',
      'sparkwing runs prune --run run_01J… --run run_01K… --profile prod',
    ],
  ).action(
    action(async (opts: Common & { olderThan?: string; run: string[]; dryRun?: boolean }) => {
      if (!opts.olderThan === (opts.run.length === 0))
        throw new CliUsageError('pass exactly one of --older-than DUR or --run ID…');
      return withBackend(paths(), opts, undefined, async (backend) => {
        const results = await prune(
          backend,
          { olderThan: opts.olderThan, run: opts.run },
          opts.dryRun === true,
        );
        if (opts.output === 'json') printJson({ dry_run: opts.dryRun === true, runs: results });
        else {
          for (const item of results) {
            const verb = item.skipped ? `kept (${item.skipped})` : opts.dryRun ? 'would delete' : 'deleted';
            process.stdout.write(`${verb.padEnd(14)} ${item.run_id} ${item.pipeline} ${item.status}\n`);
          }
          process.stdout.write(
            `${results.filter((item) => !item.skipped).length} run(s) ${opts.dryRun ? 'would be ' : ''}deleted\n`,
          );
        }
        return results.some((item) => item.skipped === 'unknown run') ? 1 : 0;
      });
    }),
  );
}
