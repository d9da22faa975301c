import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

export interface ReferenceRow {
  service: string;
  name: string;
  type: string;
  labels: string[];
}

/** Parses docs/metrics.md (written by scripts/metrics-reference.mjs): one table per service. */
export function readMetricsReference(): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  let service = '';
  for (const line of readFileSync(repoPath('docs/metrics.md'), 'utf8').split('\n')) {
    const heading = /^## (\S+)/.exec(line);
    if (heading) service = heading[1]!;
    const row = /^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (\w+) \| ([^|]*) \|/.exec(line);
    if (row && service) {
      const labels = [...row[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      rows.push({ service, name: row[1]!, type: row[2]!, labels });
    }
  }
  return rows;
}

/** family name → type, over every service. */
export function referenceFamilies(): Map<string, string> {
  return new Map(readMetricsReference().map((r) => [r.name, r.type]));
}
