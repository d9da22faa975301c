// Wall time of `sparkwing run` (local mode) for a one-job no-op pipeline, split into start-up, bundling,
// plan, job and exit; cold (bundles/ emptied) and warm, with the store opened in-process and through a
// running dashboard; plus `sparkwing --help` and `sparkwing runs list`. Medians (and minimums) of N runs.
// Usage: node bench/local-run.mjs [iterations] [--cli path/to/sparkwing.js]   (needs a build first)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const cliFlag = args.indexOf('--cli');
const CLI = cliFlag >= 0 ? resolve(args[cliFlag + 1]) : join(ROOT, 'packages/cli/bin/sparkwing.js');
const ITERATIONS = Number(args.find((arg, i) => /^\d+$/.test(arg) && args[i - 1] !== '--cli') ?? 5);

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

function sparkwing(argv) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [CLI, ...argv], { env, encoding: 'utf8' });
  const wall = performance.now() - started;
  if (result.status !== 0)
    throw new Error(`sparkwing ${argv.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  return { wall, stdout: result.stdout };
}

function runOnce(cold) {
  if (cold) rmSync(join(home, 'bundles'), { recursive: true, force: true });
  const spawnedAt = Date.now();
  const { wall, stdout } = sparkwing(['run', 'noop', '--dir', repo, '-o', 'json']);
  const events = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const startedEvent = events.find((e) => e.event === 'run_started');
  const finished = events.at(-1);
  const nodeMs = (id) =>
    events.find((e) => e.event === 'node' && e.node_id === id && e.duration_ms !== null)?.duration_ms ?? NaN;
  const planLog = readFileSync(join(home, 'runs', finished.run_id, '_plan.log'), 'utf8');
  const bundleMs = Number(/compiled pipeline \S+ \([^)]* in (\d+)ms\)/.exec(planLog)?.[1] ?? Number.NaN);
  const startup = Date.parse(startedEvent.ts) - spawnedAt;
  const execution = finished.duration_ms;
  return {
    via: (startedEvent.via ?? 'in-process').split(' ')[0],
    wall,
    startup,
    bundle: bundleMs,
    plan: nodeMs('_plan'),
    job: nodeMs('noop'),
    execution,
    exit: wall - startup - execution,
  };
}

const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => sorted(values)[Math.floor(values.length / 2)];
const figure = (values) => `${Math.round(median(values))} (min ${Math.round(sorted(values)[0])})`;

const rows = [];
function runRows(label, cold) {
  const samples = Array.from({ length: ITERATIONS }, () => runOnce(cold));
  const pick = (key) => figure(samples.map((s) => s[key]));
  rows.push({
    case: label,
    via: samples[0].via,
    wall_ms: pick('wall'),
    startup_ms: pick('startup'),
    bundling_ms: pick('bundle'),
    plan_node_ms: pick('plan'),
    job_node_ms: pick('job'),
    execution_ms: pick('execution'),
    exit_ms: pick('exit'),
  });
}
const commandRows = [];
function commandRow(label, argv) {
  commandRows.push({
    command: label,
    wall_ms: figure(Array.from({ length: ITERATIONS }, () => sparkwing(argv).wall)),
  });
}

try {
  runOnce(true); // creates the home (keys, migrations) and warms the page cache outside the figures
  runRows('cold (bundles/ emptied)', true);
  runRows('warm (bundle cached)', false);
  commandRow('sparkwing --help', ['--help']);
  commandRow('sparkwing runs list (store in-process)', ['runs', 'list']);
  sparkwing(['dashboard', 'start', '--port', '0']);
  try {
    runOnce(false);
    runRows('warm, dashboard running', false);
    commandRow('sparkwing runs list (dashboard running)', ['runs', 'list']);
  } finally {
    sparkwing(['dashboard', 'kill']);
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}

console.log(
  `sparkwing run noop (one no-op job): median (min) of ${ITERATIONS} runs, node ${process.version}`,
);
console.log(`cli: ${CLI}`);
console.log(
  'startup = spawn until the run is triggered; plan/job = the node from claim to finish (its own process: ' +
    'node boot, bundle load, IPC); execution = run created until finished; exit = wall - startup - execution',
);
console.table(rows);
console.table(commandRows);
