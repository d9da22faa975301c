import picomatch from 'picomatch';
import {
  DEFAULT_PR_TYPES,
  type PullRequestFilter,
  type PushFilter,
  type Triggers,
} from './trigger-schema.js';

/**
 * What happened in the repository, reduced to what `on:` filters look at. `changedFiles: null` means the
 * changed files are unknown (a new branch, a diff that could not be computed): paths filters then match.
 */
export type TriggerEvent =
  | { kind: 'push'; branch: string; changedFiles: readonly string[] | null }
  | { kind: 'tag'; tag: string }
  | { kind: 'pull_request'; action: string; baseBranch: string; changedFiles: readonly string[] | null };

export type TriggerMatch = { matched: true; rule: string } | { matched: false; reason: string };

/**
 * Glob semantics (documented in docs/triggers.md): picomatch with `dot: true`; `*` matches within one
 * `/`-separated segment, `**` across segments, `?` one character, `{a,b}` alternatives, `[abc]` classes.
 */
function matcher(globs: readonly string[]): (value: string) => boolean {
  return picomatch([...globs], { dot: true });
}

function firstMatch(globs: readonly string[], value: string): string | null {
  return globs.find((glob) => matcher([glob])(value)) ?? null;
}

/** `paths` / `paths_ignore` over the changed files; null when they let the event through. */
function pathsVeto(
  filter: { paths?: string[]; paths_ignore?: string[] },
  files: readonly string[] | null,
): string | null {
  if (!filter.paths && !filter.paths_ignore) return null;
  if (files === null) return null;
  const included = filter.paths ? matcher(filter.paths) : () => true;
  const ignored = filter.paths_ignore ? matcher(filter.paths_ignore) : () => false;
  if (files.some((file) => included(file) && !ignored(file))) return null;
  return files.length === 0 ? 'no changed files' : 'no changed file matches the paths filter';
}

/** branches / branches_ignore (or tags / tags_ignore) against one name; the matching rule or a reason. */
function nameFilter(
  what: 'branches' | 'tags',
  name: string,
  only: string[] | undefined,
  ignore: string[] | undefined,
): { rule: string } | { reason: string } {
  if (only) {
    const glob = firstMatch(only, name);
    return glob ? { rule: `${what}: ${glob}` } : { reason: `${what} filter does not match "${name}"` };
  }
  if (ignore) {
    const glob = firstMatch(ignore, name);
    return glob ? { reason: `"${name}" matches ${what}_ignore ${glob}` } : { rule: `${what}_ignore` };
  }
  return { rule: '' };
}

function matchPush(filter: PushFilter | null, event: TriggerEvent & { kind: 'push' | 'tag' }): TriggerMatch {
  const f = filter ?? {};
  const hasBranchFilter = Boolean(f.branches || f.branches_ignore);
  const hasTagFilter = Boolean(f.tags || f.tags_ignore);
  if (event.kind === 'tag') {
    // Like GitHub Actions: a push filter naming only branches does not run for tags.
    if (hasBranchFilter && !hasTagFilter)
      return { matched: false, reason: 'push filter names branches only' };
    const result = nameFilter('tags', event.tag, f.tags, f.tags_ignore);
    if ('reason' in result) return { matched: false, reason: result.reason };
    return { matched: true, rule: result.rule ? `push.${result.rule}` : 'push' };
  }
  if (hasTagFilter && !hasBranchFilter) return { matched: false, reason: 'push filter names tags only' };
  const result = nameFilter('branches', event.branch, f.branches, f.branches_ignore);
  if ('reason' in result) return { matched: false, reason: result.reason };
  const veto = pathsVeto(f, event.changedFiles);
  if (veto) return { matched: false, reason: veto };
  const paths = f.paths || f.paths_ignore ? ' +paths' : '';
  return { matched: true, rule: `${result.rule ? `push.${result.rule}` : 'push'}${paths}` };
}

function matchPullRequest(
  filter: PullRequestFilter | null,
  event: TriggerEvent & { kind: 'pull_request' },
): TriggerMatch {
  const f = filter ?? {};
  const types: readonly string[] = f.types ?? DEFAULT_PR_TYPES;
  if (!types.includes(event.action))
    return { matched: false, reason: `pull_request action ${event.action} is not in types` };
  const result = nameFilter('branches', event.baseBranch, f.branches, f.branches_ignore);
  if ('reason' in result) return { matched: false, reason: result.reason };
  const veto = pathsVeto(f, event.changedFiles);
  if (veto) return { matched: false, reason: veto };
  const paths = f.paths || f.paths_ignore ? ' +paths' : '';
  const rule = result.rule ? `pull_request.${result.rule}` : 'pull_request';
  return { matched: true, rule: `${rule} (${event.action})${paths}` };
}

/** Whether a pipeline's `on:` block runs for `event`, with the rule that matched or why not. */
export function matchTriggers(on: Triggers | undefined, event: TriggerEvent): TriggerMatch {
  if (!on) return { matched: false, reason: 'the pipeline has no on: block' };
  if (event.kind === 'pull_request') {
    if (on.pull_request === undefined) return { matched: false, reason: 'no on.pull_request' };
    return matchPullRequest(on.pull_request, event);
  }
  if (on.push === undefined) return { matched: false, reason: 'no on.push' };
  return matchPush(on.push, event);
}

/** Whether the `on:` filters look at changed files (so the caller knows whether to compute them). */
export function needsChangedFiles(on: Triggers | undefined, kind: 'push' | 'pull_request'): boolean {
  const filter = kind === 'push' ? on?.push : on?.pull_request;
  return Boolean(filter?.paths || filter?.paths_ignore);
}

/** The `schedule:` entries of an `on:` block as a list. */
export function scheduleEntries(on: Triggers | undefined): string[] {
  if (!on?.schedule) return [];
  return typeof on.schedule === 'string' ? [on.schedule] : on.schedule;
}
