import {
  ConfigError,
  matchTriggers,
  needsChangedFiles,
  type PipelineEntry,
  parseSparkwingConfig,
  type TriggerEvent,
} from '@sparkwing/sdk/config';
import type { TriggerInput } from '../queue/runs-ops.js';
import type { Delivery } from './github-delivery.js';
import { CONFIG_PATH, type RepoSource } from './repo-source.js';

export type EventDelivery = Extract<Delivery, { kind: 'push' | 'pull_request' }>;

/** The pipeline name of the one failed run an invalid sparkwing.yaml produces. */
export const CONFIG_ERROR_PIPELINE = 'sparkwing.yaml';

export interface DeliveryPlan {
  runs: TriggerInput[];
  skipped: { pipeline: string; reason: string }[];
  /** A closed pull request: its active runs are cancelled. */
  cancelPullRequest: { repo: string; number: number } | null;
  /** Why nothing could be evaluated (no sparkwing.yaml at the commit). */
  note: string | null;
}

/** `{pipeline}`, `{ref}`, `{branch}`, `{pr}`, `{event}` in a concurrency group; scoped to the repository. */
export function resolveGroup(template: string, repo: string, vars: Record<string, string>): string {
  return `${repo}:${template.replace(/\{(pipeline|ref|branch|pr|event)\}/g, (_, key: string) => vars[key] ?? '')}`;
}

function baseInput(delivery: EventDelivery): Omit<TriggerInput, 'pipeline'> {
  if (delivery.kind === 'push') {
    return {
      git: {
        repo_url: delivery.repo.cloneUrl,
        sha: delivery.after,
        ...(delivery.isTag ? {} : { branch: delivery.name }),
      },
      trigger: {
        kind: 'webhook',
        event: delivery.isTag ? 'tag' : 'push',
        actor: delivery.actor,
        ref: delivery.ref,
        sha: delivery.after,
        repo: delivery.repo.fullName,
      },
    };
  }
  return {
    // Fork heads live in the base repository as refs/pull/N/head, so the base mirror serves every PR.
    git: {
      repo_url: delivery.repo.cloneUrl,
      branch: delivery.headBranch,
      sha: delivery.headSha,
      fork: delivery.fork,
    },
    trigger: {
      kind: 'webhook',
      event: 'pull_request',
      actor: delivery.actor,
      ref: `refs/pull/${delivery.number}/head`,
      sha: delivery.headSha,
      prNumber: delivery.number,
      fork: delivery.fork,
      repo: delivery.repo.fullName,
    },
  };
}

/** Changed files for paths filters: the payload's list, else a diff in the mirror, else unknown (null). */
async function changedFiles(delivery: EventDelivery, source: RepoSource): Promise<string[] | null> {
  const url = delivery.repo.cloneUrl;
  if (delivery.kind === 'pull_request') return source.changedFiles(url, delivery.baseSha, delivery.headSha);
  if (delivery.files) return delivery.files;
  if (delivery.before) return source.changedFiles(url, delivery.before, delivery.after);
  // A new branch: what it adds over the default branch (nothing to compare for the default branch itself).
  if (delivery.name === delivery.repo.defaultBranch) return null;
  return source.changedFiles(url, delivery.repo.defaultBranch, delivery.after);
}

/**
 * Reads sparkwing.yaml at the event's commit (through the cache mirror) and decides which pipelines run.
 * All I/O happens here, before the transaction that creates the runs.
 */
export async function planDelivery(delivery: EventDelivery, source: RepoSource): Promise<DeliveryPlan> {
  const base = baseInput(delivery);
  const sha = delivery.kind === 'push' ? delivery.after : delivery.headSha;
  const plan: DeliveryPlan = {
    runs: [],
    skipped: [],
    cancelPullRequest:
      delivery.kind === 'pull_request' && delivery.action === 'closed'
        ? { repo: delivery.repo.fullName, number: delivery.number }
        : null,
    note: null,
  };
  await source.ensureMirror(delivery.repo.fullName, delivery.repo.cloneUrl);
  const text = await source.readConfig(delivery.repo.cloneUrl, sha);
  if (text === null) {
    plan.note = `no ${CONFIG_PATH} at ${sha.slice(0, 12)}`;
    return plan;
  }
  let pipelines: PipelineEntry[];
  try {
    pipelines = parseSparkwingConfig(text, CONFIG_PATH).pipelines;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Silence would look like "CI is broken"; one failed run says exactly what to fix.
    plan.runs.push({
      ...base,
      pipeline: CONFIG_ERROR_PIPELINE,
      trigger: { ...base.trigger, rule: 'invalid sparkwing.yaml' },
      failWith: error.message,
    });
    return plan;
  }
  const kind = delivery.kind === 'push' ? 'push' : 'pull_request';
  const wantFiles =
    !(delivery.kind === 'push' && delivery.isTag) && pipelines.some((p) => needsChangedFiles(p.on, kind));
  const files = wantFiles ? await changedFiles(delivery, source) : null;
  const event: TriggerEvent =
    delivery.kind === 'pull_request'
      ? {
          kind: 'pull_request',
          action: delivery.action,
          baseBranch: delivery.baseBranch,
          changedFiles: files,
        }
      : delivery.isTag
        ? { kind: 'tag', tag: delivery.name }
        : { kind: 'push', branch: delivery.name, changedFiles: files };
  const vars = {
    ref: base.trigger.ref ?? '',
    branch: delivery.kind === 'push' ? delivery.name : delivery.headBranch,
    pr: delivery.kind === 'pull_request' ? String(delivery.number) : '',
    event: base.trigger.event ?? '',
  };
  for (const entry of pipelines) {
    const match = matchTriggers(entry.on, event);
    if (!match.matched) {
      plan.skipped.push({ pipeline: entry.name, reason: match.reason });
      continue;
    }
    plan.runs.push({
      ...base,
      pipeline: entry.name,
      trigger: { ...base.trigger, rule: match.rule },
      concurrency: entry.concurrency
        ? {
            group: resolveGroup(entry.concurrency.group, delivery.repo.fullName, {
              ...vars,
              pipeline: entry.name,
            }),
            cancelInProgress: entry.concurrency.cancel_in_progress,
          }
        : null,
    });
  }
  return plan;
}
