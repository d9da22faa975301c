import type { GitSource } from '@sparkwing/contracts';

/** What a GitHub delivery asks of us. */
export type GithubAction =
  | { kind: 'ping' }
  | { kind: 'trigger'; git: GitSource; actor: string | null }
  | { kind: 'ignore'; reason: string };

const PR_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);
const SHA_RE = /^[0-9a-f]{7,64}$/;

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

function repoUrl(repo: Json): string | null {
  return str(repo.clone_url) ?? str(repo.html_url) ?? str(repo.url);
}

/**
 * Whether a pull request's head lives in another repository than its base (a fork). When in doubt (the head
 * repository was deleted, names missing) it counts as a fork: a fork run gets less, never more.
 */
export function isForkPullRequest(body: Json): boolean {
  const pr = obj(body.pull_request);
  const headRepo = obj(obj(pr.head).repo);
  const baseRepo = obj(obj(pr.base).repo);
  const head = str(headRepo.full_name);
  const base = str(baseRepo.full_name) ?? str(obj(body.repository).full_name);
  if (headRepo.fork === true) return true;
  return !head || !base || head.toLowerCase() !== base.toLowerCase();
}

/** Maps an event and its payload to an action: pushes to branches and opened/synchronize/reopened PRs trigger. */
export function interpretGithubEvent(event: string, payload: unknown): GithubAction {
  const body = obj(payload);
  if (event === 'ping') return { kind: 'ping' };
  const actor = str(obj(body.sender).login) ?? str(obj(body.pusher).name);
  if (event === 'push') {
    const ref = str(body.ref);
    if (!ref?.startsWith('refs/heads/'))
      return { kind: 'ignore', reason: `push to ${ref ?? 'unknown ref'} is not a branch` };
    if (body.deleted === true) return { kind: 'ignore', reason: 'branch deletion' };
    const sha = str(body.after);
    const url = repoUrl(obj(body.repository));
    if (!url || !sha || !SHA_RE.test(sha))
      return { kind: 'ignore', reason: 'push payload lacks repository or sha' };
    return { kind: 'trigger', git: { repo_url: url, branch: ref.slice('refs/heads/'.length), sha }, actor };
  }
  if (event === 'pull_request') {
    const action = str(body.action) ?? 'unknown';
    if (!PR_ACTIONS.has(action)) return { kind: 'ignore', reason: `pull_request action ${action}` };
    const head = obj(obj(body.pull_request).head);
    const sha = str(head.sha);
    const url = repoUrl(obj(head.repo)) ?? repoUrl(obj(body.repository));
    const branch = str(head.ref);
    if (!url || !sha || !SHA_RE.test(sha))
      return { kind: 'ignore', reason: 'pull_request payload lacks repository or sha' };
    const fork = isForkPullRequest(body);
    return { kind: 'trigger', git: { repo_url: url, sha, ...(branch ? { branch } : {}), fork }, actor };
  }
  return { kind: 'ignore', reason: `event ${event} is not handled` };
}
