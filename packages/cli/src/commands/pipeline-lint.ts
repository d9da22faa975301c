import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  nextFireAfter,
  type PipelineEntry,
  parseScheduleEntry,
  parseSparkwingConfig,
  type SparkwingConfig,
  scheduleEntries,
} from '@sparkwing/sdk/config';
import type { Command } from 'commander';
import { action, outputOption, printJson, withExamples } from './context.js';

/** Reads and strictly parses `<dir>/.sparkwing/sparkwing.yaml`; a ConfigError names what is wrong. */
export function loadSparkwingConfig(dir: string): { file: string; config: SparkwingConfig } {
  const file = join(resolve(dir), '.sparkwing', 'sparkwing.yaml');
  if (!existsSync(file))
    throw new ConfigError(file, null, null, 'not found (is --dir a sparkwing repository?)');
  return { file, config: parseSparkwingConfig(readFileSync(file, 'utf8'), file) };
}

/** One line per trigger of a pipeline, as the controller will read them. */
function describeTriggers(entry: PipelineEntry, now: number): string[] {
  const on = entry.on;
  if (!on) return ['no on: block (runs only when triggered by hand or API)'];
  const lines: string[] = [];
  if (on.push !== undefined) lines.push(`push ${JSON.stringify(on.push ?? {})}`);
  if (on.pull_request !== undefined) lines.push(`pull_request ${JSON.stringify(on.pull_request ?? {})}`);
  for (const source of scheduleEntries(on)) {
    const next = nextFireAfter(parseScheduleEntry(source), now);
    lines.push(`schedule "${source}" next ${next === null ? 'never' : new Date(next).toISOString()}`);
  }
  if (on.webhook) lines.push('webhook (manual/API)');
  if (entry.concurrency)
    lines.push(
      `concurrency group "${entry.concurrency.group}"${entry.concurrency.cancel_in_progress ? ' cancel_in_progress' : ''}`,
    );
  return lines;
}

/** `sparkwing pipeline lint`: the controller's parser on the local sparkwing.yaml (exit 2 when invalid). */
export function registerPipelineLint(pipeline: Command): void {
  withExamples(
    pipeline
      .command('lint')
      .description(
        'check .sparkwing/sparkwing.yaml (pipelines, on: triggers, schedules) as the controller reads it',
      )
      .option('--dir <path>', 'repository containing .sparkwing/', '.')
      .addOption(outputOption()),
    ['sparkwing pipeline lint', 'sparkwing pipeline lint --dir ../app -o json'],
  ).action(
    action(async (opts: { dir: string; output: string }) => {
      const { file, config } = loadSparkwingConfig(opts.dir);
      const now = Date.now();
      if (opts.output === 'json') {
        printJson({
          ok: true,
          file,
          pipelines: config.pipelines.map((entry) => ({
            name: entry.name,
            triggers: describeTriggers(entry, now),
          })),
        });
        return 0;
      }
      process.stdout.write(`${file}: ok, ${config.pipelines.length} pipeline(s)\n`);
      for (const entry of config.pipelines) {
        process.stdout.write(`  ${entry.name}\n`);
        for (const line of describeTriggers(entry, now)) process.stdout.write(`    ${line}\n`);
      }
      return 0;
    }),
  );
}
