import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparkwing-${prefix}-`));
}

/** Writes a repository with `.sparkwing/sparkwing.yaml` naming `pipelines` and one module `ci.ts`. */
export function writeRepo(source: string, pipelines: string[] = ['ci']): string {
  const dir = tempDir('repo');
  mkdirSync(join(dir, '.sparkwing'));
  const yaml = `pipelines:\n${pipelines.map((name) => `  - name: ${name}\n    entrypoint: ${name}\n`).join('')}`;
  writeFileSync(join(dir, '.sparkwing', 'sparkwing.yaml'), yaml);
  writeFileSync(join(dir, '.sparkwing', 'ci.ts'), source);
  return dir;
}
