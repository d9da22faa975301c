import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import {
  type Controller,
  type ControllerOptions,
  createController,
  ManualClock,
  signGithubBody,
} from '../../src/index.js';
import { freePort, type Proc, startService } from '../kubernetes/processes.js';

export const ADMIN = 'swt_trigger-tests-admin-token-0123';
export const SECRET = 'trigger-tests-webhook-secret';
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

// biome-ignore lint/suspicious/noExplicitAny: GitHub payloads are free-form JSON the tests edit in place.
export type Payload = Record<string, any>;

/** A GitHub payload fixture (recorded shapes, see fixtures/) as a mutable object. */
export function fixture(name: string): Payload {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();
}

/** A work tree and the bare "origin" the cache mirrors (its path is the repository's clone_url). */
export class Origin {
  readonly work: string;
  readonly bare: string;

  constructor(root: string) {
    this.work = join(root, 'work');
    this.bare = join(root, 'origin.git');
    mkdirSync(this.work, { recursive: true });
    git(this.work, 'init', '-q', '-b', 'main');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.bare]);
  }

  /** Commits `files` (null deletes) on `branch` and pushes it; returns the sha. */
  commit(files: Record<string, string | null>, branch = 'main'): string {
    const current = git(this.work, 'branch', '--show-current');
    if (current !== branch) {
      const exists = git(this.work, 'branch', '--list', branch) !== '';
      git(this.work, 'checkout', '-q', ...(exists ? [branch] : ['-b', branch]));
    }
    for (const [name, content] of Object.entries(files)) {
      const path = join(this.work, name);
      if (content === null) rmSync(path, { force: true });
      else {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
      }
    }
    git(this.work, 'add', '-A');
    git(this.work, 'commit', '-q', '--allow-empty', '-m', `change ${Object.keys(files).join(' ')}`);
    git(this.work, 'push', '-q', this.bare, `${branch}:refs/heads/${branch}`);
    return git(this.work, 'rev-parse', 'HEAD');
  }

  /** What GitHub does for a pull request (also from a fork): the head commit as refs/pull/N/head. */
  pullRef(number: number, sha: string): void {
    git(this.work, 'push', '-q', this.bare, `${sha}:refs/pull/${number}/head`);
  }

  tag(name: string): string {
    git(this.work, 'tag', name);
    git(this.work, 'push', '-q', this.bare, `refs/tags/${name}`);
    return git(this.work, 'rev-parse', 'HEAD');
  }
}

export interface TriggerStack {
  root: string;
  origin: Origin;
  clock: ManualClock;
  ctl: Controller;
  cache: Proc;
  url: string;
  /** Signs and posts a delivery to POST /webhooks/github. */
  deliver(event: string, payload: unknown, delivery: string): Promise<Response>;
  /** Closes the controller and opens a new one over the same data dir (a restart). */
  restart(clock?: ManualClock): void;
  close(): Promise<void>;
}

/**
 * A real cache process (git mirrors) and an in-process controller served on 127.0.0.1 (so the cache can
 * introspect the controller's token and tests can drive its clock).
 */
export async function startTriggerStack(options: Partial<ControllerOptions> = {}): Promise<TriggerStack> {
  const root = mkdtempSync(join(tmpdir(), 'sparkwing-triggers-'));
  const origin = new Origin(root);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let app: Controller['app'] | null = null;
  const server = serve({
    port,
    hostname: '127.0.0.1',
    fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })),
  }) as Server;
  const cache = await startService('services/cache/dist/main.js', {
    PORT: '0',
    HOST: '127.0.0.1',
    SPARKWING_DATA_DIR: join(root, 'cache'),
    SPARKWING_CONTROLLER_URL: url,
    SPARKWING_SIGNING_KEY: 'trigger-tests-signing-key-0123456789',
    SPARKWING_FETCH_INTERVAL: '1h',
    // The test's bare repositories are local paths: the cache refuses those unless allow-listed.
    SPARKWING_MIRROR_ALLOWLIST: root,
    HOME: root,
  });
  const open = (clock: ManualClock) =>
    createController({
      dataDir: join(root, 'controller'),
      adminToken: ADMIN,
      webhookSecret: SECRET,
      signingKey: 'trigger-tests-signing-key-0123456789',
      cacheUrl: cache.url,
      clock,
      ...options,
    });
  const stack: TriggerStack = {
    root,
    origin,
    clock: new ManualClock(Date.UTC(2026, 0, 5, 10, 0)),
    ctl: null as unknown as Controller,
    cache,
    url,
    deliver: (event, payload, delivery) => {
      const raw = JSON.stringify(payload);
      return fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': delivery,
          'x-hub-signature-256': signGithubBody(SECRET, raw),
        },
        body: raw,
      });
    },
    restart(clock) {
      stack.ctl.close();
      if (clock) stack.clock = clock;
      stack.ctl = open(stack.clock);
      app = stack.ctl.app;
    },
    async close() {
      stack.ctl.close();
      await new Promise((done) => server.close(() => done(undefined)));
      await cache.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  stack.ctl = open(stack.clock);
  app = stack.ctl.app;
  return stack;
}

/** Points a fixture at the test origin: the clone_url is the bare repository's path. */
export function atOrigin<T extends Payload>(payload: T, origin: Origin): T {
  payload.repository.clone_url = origin.bare;
  if (payload.pull_request) {
    payload.pull_request.base.repo.clone_url = origin.bare;
    if (payload.pull_request.head.repo.full_name === payload.repository.full_name)
      payload.pull_request.head.repo.clone_url = origin.bare;
  }
  return payload;
}
