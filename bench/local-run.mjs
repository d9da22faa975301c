// Wall time of `sparkwing run` (local mode) for a one-job no-op pipeline, split into start-up, bundling
// (cold and cached) and execution. Usage: node bench/local-run.mjs [iterations]  (needs a build first).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'packages/cli/bin/sparkwing.js');
const ITERATIONS = Number(process.argv[2] ?? 5);

const repo = mkdtempSync(join(tmpdir(), 'sparkwing-bench-repo-'));
mkdirSync(join(repo, '.sparkwing'));
writeFileSync(
  join(repo, '.sparkwing', 'sparkwing.yaml'),
  'pipelines:\n  - name: noop\n    entrypoint: noop\n',
);
writeFileSync(
  join(repo, '.sparkwing', 'noop.ts'),
  "import { pipeline } from '@sparkwing/sdk';\nexport const noop = pipeline((p) => { p.job('noop', () => undefined); });\n",
);
const home = mkdtempSync(join(tmpdir(), 'sparkwing-bench-home-'));
const env = { PATH: process.env.PATH, HOME: home, SPARKWING_HOME: home };

function once(cold) {
  if (cold) rmSync(join(home, 'bundles'), { recursive: true, force: true });
  const started = performance.now();
  const spawnedAt = Date.now();
  const result = spawnSync(process.execPath, [CLI, 'run', 'noop', '--dir', repo, '-o', 'json'], {
    env,
    encoding: 'utf8',
  });
  const wall = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`sparkwing run exited ${result.status}: ${result.stderr}${result.stdout}`);
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const startedEvent = events.find((e) => e.event === 'run_started');
  const finished = events.at(-1);
  const planLog = readFileSync(join(home, 'runs', finished.run_id, '_plan.log'), 'utf8');
  const bundleMs = Number(/compiled pipeline \S+ \([^)]* in (\d+)ms\)/.exec(planLog)?.[1] ?? Number.NaN);
  const startup = Date.parse(startedEvent.ts) - spawnedAt;
  const execution = finished.duration_ms;
  return { wall, startup, bundle: bundleMs, execution, teardown: wall - startup - execution };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

once(true); // warm the OS page cache and create the home (migrations) outside the measurements
const rows = [];
for (const cold of [true, false]) {
  const samples = Array.from({ length: ITERATIONS }, () => once(cold));
  const pick = (key) => Math.round(median(samples.map((s) => s[key])));
  rows.push({
    bundle_cache: cold ? 'cold' : 'cached',
    wall_ms: pick('wall'),
    startup_ms: pick('startup'),
    bundling_ms: pick('bundle'),
    execution_ms: pick('execution'),
    'exit_ms (wall - startup - execution)': pick('teardown'),
  });
}
console.log(`sparkwing run noop (one no-op job), median of ${ITERATIONS} runs, node ${process.version}`);
console.log(
  'startup = process spawn until the run is triggered (node boot, CLI import, open SQLite + logs, trigger)',
);
console.log(
  'execution = run created until finished (_plan: checkout, bundle, plan evaluation; then the job)',
);
console.table(rows);
rm();
function rm() {
  rmSync(repo, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
