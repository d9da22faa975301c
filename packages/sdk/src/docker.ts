import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '@sparkwing/contracts';
import type { JobContext } from './context.js';
import { PipelineError } from './errors.js';

/** Variables the dispatcher sets on runner pods (docs/docker-builds.md). */
export const DOCKER_ENV = {
  dockerHost: ENV.dockerHost,
  registry: ENV.registry,
  registryUsername: ENV.registryUsername,
  registryPassword: ENV.registryPassword,
} as const;

export interface DockerBuildOptions {
  /** Repository name, e.g. `team/api`; prefixed with SPARKWING_REGISTRY unless it names a registry host. */
  image: string;
  /** Build context directory (relative to the job's cwd); default `.`. */
  context?: string;
  /** Dockerfile path; default `<context>/Dockerfile`. */
  dockerfile?: string;
  /** Tag; default derived from the run: `run-<run id>`. */
  tag?: string;
  buildArgs?: Record<string, string>;
  /** Push after building (default true); needs a registry in the image name or SPARKWING_REGISTRY. */
  push?: boolean;
  /** How long to wait for the daemon to answer (a DinD sidecar may still be starting); default 60 s. */
  daemonTimeoutMs?: number;
}

/** What `dockerBuild` returns: a job output dependents read with `ctx.output(job)`. */
export interface DockerImage {
  /** `registry/repo` */
  repository: string;
  tag: string;
  /** `repository:tag` */
  ref: string;
  /** `sha256:…` of the pushed manifest; null when not pushed. */
  digest: string | null;
  /** `repository@sha256:…` — what dependents should pull; null when not pushed. */
  pinned: string | null;
  /** Build steps served from the layer cache (a warm cache shows them). */
  cacheHits: number;
  /** Build steps in total. */
  steps: number;
  /** Wall time of `docker build`, for comparing a cold and a warm cache. */
  buildMs: number;
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_RE = /digest: (sha256:[0-9a-f]{64})/;

/** `run-<id>` made a valid Docker tag (at most 128 characters of [A-Za-z0-9_.-]). */
export function runTag(runId: string): string {
  return `run-${runId.replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 128);
}

/** Prefixes the configured registry unless the first path part already names a host (has `.` or `:`). */
export function qualifyImage(image: string, registry: string | undefined): string {
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9._/-]+)?$/.test(image)) {
    throw new PipelineError(`docker image "${image}" is not a valid repository name`);
  }
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost'))
    return image;
  return registry ? `${registry.replace(/\/+$/, '')}/${image}` : image;
}

function registryHost(repository: string): string | undefined {
  const first = repository.split('/')[0] ?? '';
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : undefined;
}

/** Registers the registry password the runner was given (env) with a job's masker. */
export function maskRegistryCredentials(
  env: Readonly<Record<string, string | undefined>>,
  add: (secret: string) => void,
): void {
  const password = env[DOCKER_ENV.registryPassword];
  if (password) add(password);
}

/** Waits until the Docker daemon answers (`docker version`), so a sidecar still starting is not a failure. */
export async function waitForDocker(ctx: JobContext, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = await ctx
      .exec('docker', ['version', '--format', '{{.Server.Version}}'], { allowFailure: true, quiet: true })
      .catch(() => {
        throw new PipelineError('the docker CLI is not installed on this runner');
      });
    if (probe.exitCode === 0) return;
    if (Date.now() > deadline || ctx.signal.aborted) {
      throw new PipelineError(
        `no Docker daemon answered at ${ctx.env[DOCKER_ENV.dockerHost] ?? 'the default socket'} within ${Math.round(timeoutMs / 1000)}s: ${probe.stderr.trim().split('\n').pop() ?? ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Registry credentials for the docker CLI, when the runner has them: a private DOCKER_CONFIG (mode 0700,
 * removed after the command) whose `auths` entry the CLI sends with push/pull. Unlike `docker login` this
 * needs no round trip through the daemon, which some daemons cannot make to a plain-HTTP registry.
 */
async function withCredentials<T>(
  ctx: JobContext,
  host: string | undefined,
  fn: (env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const user = ctx.env[DOCKER_ENV.registryUsername];
  const password = ctx.env[DOCKER_ENV.registryPassword];
  if (!host || !user || !password) return fn({});
  const dir = await mkdtemp(join(tmpdir(), 'sparkwing-docker-'));
  try {
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }), {
      mode: 0o600,
    });
    ctx.log(`registry credentials of ${user} set for ${host}`);
    return await fn({ DOCKER_CONFIG: dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Builds an image through DOCKER_HOST with a tag derived from the run, pushes it to the configured
 * registry and returns its digest: `return dockerBuild(ctx, { image: 'team/api' })` makes it the job's
 * output, and a dependent runs `docker pull` on `ctx.output(build).pinned`.
 */
export async function dockerBuild(ctx: JobContext, options: DockerBuildOptions): Promise<DockerImage> {
  const tag = options.tag ?? runTag(ctx.runId);
  if (!TAG_RE.test(tag)) throw new PipelineError(`docker tag "${tag}" is invalid`);
  const repository = qualifyImage(options.image, ctx.env[DOCKER_ENV.registry]);
  const ref = `${repository}:${tag}`;
  const push = options.push ?? true;
  const host = registryHost(repository);
  if (push && !host) {
    throw new PipelineError(
      `cannot push "${ref}": name a registry in the image or set ${DOCKER_ENV.registry} (the dispatcher does when the chart has a registry)`,
    );
  }
  await waitForDocker(ctx, options.daemonTimeoutMs);
  const context = options.context ?? '.';
  const args = ['build', '--tag', ref];
  if (options.dockerfile) args.push('--file', options.dockerfile);
  for (const [key, value] of Object.entries(options.buildArgs ?? {}))
    args.push('--build-arg', `${key}=${value}`);
  args.push(context);
  const buildStarted = Date.now();
  const built = await ctx.exec('docker', args);
  const buildMs = Date.now() - buildStarted;
  const output = `${built.stdout}\n${built.stderr}`;
  const steps = (output.match(/^STEP \d+\/\d+|^Step \d+\/\d+|^#\d+ \[/gm) ?? []).length;
  const cacheHits = (output.match(/Using cache|^#\d+ CACHED/gm) ?? []).length;
  let digest: string | null = null;
  if (push) {
    const pushed = await withCredentials(ctx, host, (env) => ctx.exec('docker', ['push', ref], { env }));
    digest = DIGEST_RE.exec(`${pushed.stdout}\n${pushed.stderr}`)?.[1] ?? null;
    if (!digest) throw new PipelineError(`docker push of ${ref} printed no digest`);
  }
  const image: DockerImage = {
    repository,
    tag,
    ref,
    digest,
    pinned: digest ? `${repository}@${digest}` : null,
    cacheHits,
    steps,
    buildMs,
  };
  ctx.log(
    `image ${ref}${digest ? ` pushed as ${image.pinned}` : ''} (${cacheHits}/${steps} steps from the layer cache, build ${buildMs} ms)`,
  );
  return image;
}

/** Pulls an image (pin it by digest: `ctx.output(build).pinned`), logging in first when credentials exist. */
export async function dockerPull(
  ctx: JobContext,
  ref: string,
  options: { daemonTimeoutMs?: number } = {},
): Promise<void> {
  await waitForDocker(ctx, options.daemonTimeoutMs);
  await withCredentials(ctx, registryHost(ref), (env) => ctx.exec('docker', ['pull', ref], { env }));
}
