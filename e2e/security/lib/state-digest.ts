import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Stack } from '../../suite/lib/stack.js';

function files(root: string, skip: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (skip.test(rel)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(`${rel}:${statSync(path).size}`);
    }
  };
  walk(root);
  return out.sort();
}

async function json(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return response.json();
}

/**
 * What a refused request must not change: runs and their nodes, tokens, secrets, runners, mirrors, and the
 * files of the cache and logs stores (names and sizes; access times and hit counters are not state).
 */
export async function stateDigest(stack: Stack): Promise<string> {
  const hash = createHash('sha256');
  const c = stack.urls.controller;
  const runs = (await json(`${c}/api/v1/runs?limit=500`, stack.adminToken)) as {
    runs: Record<string, unknown>[];
  };
  for (const run of runs.runs) {
    const detail = (await json(`${c}/api/v1/runs/${run.id}`, stack.adminToken)) as {
      run: Record<string, unknown>;
      nodes: Record<string, unknown>[];
    };
    hash.update(JSON.stringify([detail.run.id, detail.run.status, detail.run.cancel_requested]));
    for (const node of detail.nodes)
      hash.update(
        JSON.stringify([node.id, node.status, node.attempt, node.output ?? null, node.error ?? null]),
      );
  }
  const tokens = (await json(`${c}/api/v1/tokens`, stack.adminToken)) as {
    tokens: { prefix: string; scopes: string[] }[];
  };
  hash.update(JSON.stringify(tokens.tokens.map((t) => [t.prefix, t.scopes])));
  const secrets = (await json(`${c}/api/v1/secrets`, stack.adminToken)) as {
    secrets: { name: string; updated_at: string }[];
  };
  hash.update(JSON.stringify(secrets.secrets));
  const mirrors = (await json(`${stack.urls.cache}/git/repos`, stack.adminToken)) as {
    repos: { name: string; url: string }[];
  };
  hash.update(JSON.stringify(mirrors.repos.map((m) => [m.name, m.url])));
  hash.update(files(join(stack.dir, 'cache'), /^(tmp|proxy)(\/|$)/).join('\n'));
  hash.update(files(join(stack.dir, 'logs'), /^$/).join('\n'));
  return hash.digest('hex');
}
