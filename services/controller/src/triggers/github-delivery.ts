/** A GitHub delivery reduced to what triggering needs. Payload shapes: docs.github.com "Webhook events". */

export interface RepoRef {
  /** `owner/name` */
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
}

export type Delivery =
  | { kind: 'ping' }
  | { kind: 'ignore'; reason: string }
  | {
      kind: 'push';
      repo: RepoRef;
      ref: string;
      /** Branch or tag name without the `refs/...` prefix. */
      name: string;
      isTag: boolean;
      before: string | null;
      after: string;
      actor: string | null;
      /** Changed files from `commits[]`; null when the payload cannot say (truncated, new branch). */
      files: string[] | null;
    }
  | {
      kind: 'pull_request';
      repo: RepoRef;
      action: string;
      number: number;
      baseBranch: string;
      baseSha: string;
      headBranch: string;
      headSha: string;
      fork: boolean;
      actor: string | null;
    };

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const ZERO_SHA = /^0+$/;
/** GitHub lists at most this many commits in a push payload; a full list may be cut. */
const PUSH_COMMIT_LIMIT = 20;

function repoRef(repository: unknown): RepoRef | null {
  const repo = obj(repository);
  const fullName = str(repo.full_name);
  const cloneUrl = str(repo.clone_url);
  if (!fullName || !cloneUrl) return null;
  return { fullName, cloneUrl, defaultBranch: str(repo.default_branch) ?? 'main' };
}

function pushFiles(body: Json): string[] | null {
  const commits = Array.isArray(body.commits) ? body.commits : null;
  if (!commits || commits.length === 0 || commits.length >= PUSH_COMMIT_LIMIT) return null;
  const files = new Set<string>();
  for (const commit of commits) {
    for (const key of ['added', 'removed', 'modified']) {
      const list = obj(commit)[key];
      if (!Array.isArray(list)) return null;
      for (const file of list) if (typeof file === 'string') files.add(file);
    }
  }
  return [...files].sort();
}

function parsePush(body: Json): Delivery {
  const ref = str(body.ref);
  const repo = repoRef(body.repository);
  if (!ref || !repo) return { kind: 'ignore', reason: 'push payload lacks ref or repository' };
  if (body.deleted === true) return { kind: 'ignore', reason: `${ref} was deleted` };
  const isTag = ref.startsWith('refs/tags/');
  if (!isTag && !ref.startsWith('refs/heads/')) return { kind: 'ignore', reason: `push to ${ref}` };
  const after = str(body.after);
  if (!after || !SHA_RE.test(after)) return { kind: 'ignore', reason: 'push payload lacks a commit sha' };
  const before = str(body.before);
  return {
    kind: 'push',
    repo,
    ref,
    name: ref.replace(/^refs\/(heads|tags)\//, ''),
    isTag,
    before: before && SHA_RE.test(before) && !ZERO_SHA.test(before) ? before : null,
    after,
    actor: str(obj(body.sender).login) ?? str(obj(body.pusher).name),
    files: body.created === true ? null : pushFiles(body),
  };
}

function parsePullRequest(body: Json): Delivery {
  const pr = obj(body.pull_request);
  const base = obj(pr.base);
  const head = obj(pr.head);
  const repo = repoRef(body.repository) ?? repoRef(base.repo);
  const number = typeof body.number === 'number' ? body.number : pr.number;
  const headSha = str(head.sha);
  const baseSha = str(base.sha);
  const baseBranch = str(base.ref);
  if (!repo || typeof number !== 'number' || !headSha || !SHA_RE.test(headSha) || !baseBranch || !baseSha)
    return { kind: 'ignore', reason: 'pull_request payload lacks repository, number, base or head' };
  const headRepo = str(obj(head.repo).full_name);
  return {
    kind: 'pull_request',
    repo,
    action: str(body.action) ?? 'unknown',
    number,
    baseBranch,
    baseSha,
    headBranch: str(head.ref) ?? `pull/${number}`,
    headSha,
    // A deleted fork has no head.repo: treat it as a fork, the safe side.
    fork: headRepo !== repo.fullName,
    actor: str(obj(body.sender).login),
  };
}

export function parseDelivery(event: string, payload: unknown): Delivery {
  const body = obj(payload);
  if (event === 'ping') return { kind: 'ping' };
  if (event === 'push') return parsePush(body);
  if (event === 'pull_request') return parsePullRequest(body);
  return { kind: 'ignore', reason: `event ${event} is not handled` };
}
