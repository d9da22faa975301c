import { parseDuration } from '@sparkwing/contracts';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { concurrencySchema, triggersSchema } from './trigger-schema.js';

const durationString = z.string().refine(
  (value) => {
    try {
      parseDuration(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'must be a duration such as 30s, 10m or 1h' },
);

const pipelineEntrySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use letters, digits, ".", "_" and "-"'),
  entrypoint: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be the name of an exported symbol'),
  description: z.string().optional(),
  on: triggersSchema.optional(),
  concurrency: concurrencySchema.optional(),
  requires: z.array(z.string().min(1)).optional(),
  timeout: durationString.optional(),
});

const configSchema = z.strictObject({
  pipelines: z.array(pipelineEntrySchema).min(1),
  /** Project defaults for the CLI: `profile` picks the profile remote commands use without --profile. */
  defaults: z.strictObject({ profile: z.string().min(1).optional() }).optional(),
});

export type PipelineEntry = z.infer<typeof pipelineEntrySchema>;
export interface SparkwingConfig {
  pipelines: PipelineEntry[];
  defaults?: { profile?: string };
}

/** An invalid sparkwing.yaml: the message names the file, the line and the offending key. */
export class ConfigError extends Error {
  readonly file: string;
  readonly line: number | null;
  readonly key: string | null;

  constructor(file: string, line: number | null, key: string | null, problem: string) {
    super(`${file}${line === null ? '' : `:${line}`}: ${key === null ? '' : `${key}: `}${problem}`);
    this.name = 'ConfigError';
    this.file = file;
    this.line = line;
    this.key = key;
  }
}

function keyPath(path: PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** The node at `path`, or the deepest existing ancestor; for an unknown key, the key itself. */
function nodeAt(root: Node | null, path: PropertyKey[], unknownKey: string | undefined): Node | null {
  let node: Node | null = root;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === part);
      if (!pair) break;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      node = item;
    } else break;
  }
  if (unknownKey && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === unknownKey);
    if (pair) return pair.key as Node;
  }
  return node;
}

/** Parses `.sparkwing/sparkwing.yaml` strictly. `file` is only used in error messages. */
export function parseSparkwingConfig(text: string, file = 'sparkwing.yaml'): SparkwingConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? null : lineCounter.linePos(offset).line;
  const yamlError = doc.errors[0];
  if (yamlError)
    throw new ConfigError(
      file,
      lineOf(yamlError.pos[0]),
      null,
      yamlError.message.split('\n')[0] ?? 'invalid YAML',
    );
  const parsed = configSchema.safeParse(doc.toJS());
  if (parsed.success) {
    const seen = new Set<string>();
    parsed.data.pipelines.forEach((entry, index) => {
      if (seen.has(entry.name)) {
        const node = nodeAt(doc.contents as Node | null, ['pipelines', index, 'name'], undefined);
        throw new ConfigError(
          file,
          lineOf(node?.range?.[0]),
          `pipelines[${index}].name`,
          `duplicate pipeline "${entry.name}"`,
        );
      }
      seen.add(entry.name);
    });
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = unknownKey ? [...issue.path, unknownKey] : issue.path;
  const node = nodeAt(doc.contents as Node | null, issue.path, unknownKey);
  const problem = unknownKey ? `unknown key "${unknownKey}"` : issue.message;
  throw new ConfigError(file, lineOf(node?.range?.[0]) ?? 1, keyPath(path), problem);
}

/** Finds a pipeline by name, with a readable error listing the known ones. */
export function findPipeline(config: SparkwingConfig, name: string, file = 'sparkwing.yaml'): PipelineEntry {
  const entry = config.pipelines.find((candidate) => candidate.name === name);
  if (!entry) {
    throw new ConfigError(
      file,
      null,
      null,
      `no pipeline "${name}" (known: ${config.pipelines.map((p) => p.name).join(', ')})`,
    );
  }
  return entry;
}

export { type Concurrency, concurrencySchema, type Triggers, triggersSchema } from './trigger-schema.js';
export {
  matchTriggers,
  needsChangedFiles,
  scheduleEntries,
  type TriggerEvent,
  type TriggerMatch,
} from './trigger-match.js';
export { nextFireAfter, parseScheduleEntry, type ScheduleEntry } from './schedule.js';
