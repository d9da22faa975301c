import type { Run } from '@sparkwing/contracts';
import type { SecretScope } from './secret-store.js';

/** What the operator decided about runs of fork pull requests (`SPARKWING_FORK_SECRETS_PIPELINES`). */
export interface ForkSecretPolicy {
  /** Pipelines whose fork pull request runs may read secrets (GitHub's `pull_request_target`). */
  pipelines: ReadonlySet<string>;
}

/** `*` matches within one path segment, `**` across segments; everything else is literal. */
export function branchPattern(pattern: string): RegExp {
  const body = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`);
}

/**
 * Why `run` may not read a secret of this scope, or null when it may. Fork runs are refused unless their
 * pipeline was opted in, and never match a branch scope: the branch name of a fork is the fork author's.
 */
export function secretRefusal(
  name: string,
  scope: SecretScope,
  run: Pick<Run, 'pipeline' | 'git' | 'trigger'>,
  forks: ForkSecretPolicy,
): string | null {
  const fork = run.git?.fork === true || run.trigger.fork === true;
  if (fork && !forks.pipelines.has(run.pipeline)) {
    return `run of pipeline ${run.pipeline} comes from a fork pull request: it gets no secrets unless the operator lists the pipeline in SPARKWING_FORK_SECRETS_PIPELINES`;
  }
  if (scope.pipelines && !scope.pipelines.includes(run.pipeline)) {
    return `secret ${name} is not available to pipeline ${run.pipeline}`;
  }
  if (scope.branches) {
    const branch = run.git?.branch;
    if (fork || !branch || !scope.branches.some((p) => branchPattern(p).test(branch))) {
      return `secret ${name} is only available to runs of protected branches (${scope.branches.join(', ')}); this run is ${fork ? 'a fork pull request' : branch ? `on ${branch}` : 'not on a branch'}`;
    }
  }
  return null;
}
