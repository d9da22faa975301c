import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Structure checks of the service Dockerfiles. Building and running the images is
// scripts/images/build-and-run.sh (podman, called from CI).
const repoRoot = resolve(import.meta.dirname, '../..');
// The Dockerfiles' base reference, spelled as in the files (not a template literal).
const BASE = ['$', '{BASE_IMAGE}'].join('');
const SERVICES = { controller: 8080, cache: 8090, logs: 8091, web: 3100, runner: 9090 } as const;

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

/** Instructions (continuation lines joined, comments dropped) grouped by build stage. */
function stages(dockerfile: string): { preamble: string[]; stages: Stage[] } {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const preamble: string[] = [];
  const out: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1] as string, name: from[2], lines: [] });
    else if (out.length === 0) preamble.push(line);
    else out.at(-1)?.lines.push(line);
  }
  return { preamble, stages: out };
}

const read = (svc: string) => readFileSync(join(repoRoot, 'services', svc, 'Dockerfile'), 'utf8');

describe.each(Object.entries(SERVICES))('services/%s/Dockerfile', (svc, port) => {
  const { preamble, stages: parsed } = stages(read(svc));
  const final = parsed.at(-1) as Stage;

  it('defaults its base to Node 24 LTS on Debian bookworm slim, overridable by BASE_IMAGE', () => {
    expect(preamble).toContain('ARG BASE_IMAGE=node:24-bookworm-slim');
    for (const stage of parsed) expect([BASE, 'workspace']).toContain(stage.from);
  });

  it('is multi-stage: builds in a workspace stage, ships only a pnpm deploy --prod of this service', () => {
    expect(parsed.length).toBeGreaterThanOrEqual(3);
    const build = parsed.find((s) => s.name === 'build');
    const deploy = build?.lines.find((l) => l.includes(' deploy '));
    expect(deploy).toContain(`pnpm --filter @sparkwing/${svc} deploy --prod`);
    expect(final.from).toBe(BASE);
    const copies = final.lines.filter((l) => l.startsWith('COPY'));
    expect(copies).toEqual(['COPY --from=build /out/ ./']);
    // No sources, dev dependencies or package manager state reach the runtime stage.
    expect(final.lines.join('\n')).not.toMatch(/pnpm install|npm install|COPY \. /);
  });

  it('runs as a fixed non-root user', () => {
    const users = final.lines.filter((l) => l.startsWith('USER'));
    expect(users).toEqual(['USER 10001:10001']);
    const userIndex = final.lines.indexOf('USER 10001:10001');
    expect(final.lines.slice(userIndex + 1).some((l) => l.startsWith('RUN'))).toBe(false);
  });

  it('exposes its port and starts its entry point', () => {
    expect(final.lines).toContain(`EXPOSE ${port}`);
    if (svc === 'runner') {
      expect(final.lines).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "sparkwing-runner"]');
      expect(final.lines).toContain('CMD ["runner"]');
    } else {
      expect(final.lines).toContain('CMD ["node", "dist/main.js"]');
      expect(final.lines.join('\n')).toContain(`PORT=${port}`);
    }
  });

  it('shares the workspace stage instruction for instruction with the other services (one layer cache)', () => {
    const workspace = (text: string) => stages(text).stages.find((stage) => stage.name === 'workspace');
    expect(workspace(read(svc))?.lines.length).toBeGreaterThan(5);
    expect(workspace(read(svc))).toEqual(workspace(read('controller')));
  });
});

describe('runner image', () => {
  it('carries tini as PID 1, git and what pipelines need', () => {
    const { stages: parsed } = stages(read('runner'));
    const final = parsed.at(-1) as Stage;
    const apt = final.lines.find((l) => l.includes('apt-get install')) ?? '';
    for (const pkg of ['tini', 'git', 'ca-certificates', 'openssh-client']) expect(apt).toContain(pkg);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build outputs, VCS data and local tools out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/dist', '.git', '.tools', 'test-artifacts']) {
      expect(ignored).toContain(pattern);
    }
  });
});
