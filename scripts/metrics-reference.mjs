#!/usr/bin/env node
// Writes docs/metrics.md from the services' real prom-client registries: each built service's metrics
// factory (exported from services/<svc>/dist/index.js, the same one its main.ts calls, with process metrics
// on as in production) is called, and every registered family is listed — with or without samples — with
// its type, label names (from the metric objects, so families without samples still show them) and help.
//   node scripts/metrics-reference.mjs          regenerate docs/metrics.md
//   node scripts/metrics-reference.mjs --check  exit 1 when docs/metrics.md differs from the registries
// Needs the services built (`pnpm --filter @sparkwing/<svc> build`).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'docs', 'metrics.md');

/**
 * Where each service registers its families. `factories` are called in order; each returns an object
 * holding a prom-client Registry somewhere in its first two levels.
 */
export const SERVICES = [
  {
    service: 'controller',
    scrape: 'controller :8080 /metrics',
    factories: ['createControllerMetrics'],
    extend: registerKubernetesDispatcher,
    registration:
      'services/controller/src/metrics.ts (createControllerMetrics); with SPARKWING_DISPATCHER=kubernetes the ' +
      'dispatcher adds the runner lifecycle families (services/controller/src/dispatch/kubernetes/metrics.ts)',
  },
  {
    service: 'logs',
    scrape: 'logs :8091 /metrics',
    factories: ['createLogsMetrics'],
    registration: 'services/logs/src/metrics.ts (createLogsMetrics)',
  },
  {
    service: 'cache',
    scrape: 'cache :8090 /metrics',
    factories: ['createCacheMetrics'],
    registration: 'services/cache/src/metrics.ts (createCacheMetrics)',
  },
  {
    service: 'web',
    scrape: 'web :3100 /metrics',
    factories: ['createWebMetrics'],
    registration: 'services/web/src/metrics.ts (createWebMetrics)',
  },
  {
    service: 'runner',
    scrape: 'runner --metrics-port (9090) /metrics',
    factories: ['createRunnerMetrics'],
    registration: 'services/runner/src/metrics.ts (createRunnerMetrics)',
  },
];

/**
 * The Kubernetes dispatcher registers its families on the controller's registry when it is constructed
 * (main.ts, SPARKWING_DISPATCHER=kubernetes). Construct it the same way, never started, against a
 * kubeconfig naming an unreachable API server (construction does no I/O), so those families are listed too.
 */
async function registerKubernetesDispatcher(mod, registry) {
  // Loaded on demand by the controller (main.ts does the same), so importing the package stays light.
  const KubernetesDispatcher = mod.loadKubernetesDispatcher
    ? await mod.loadKubernetesDispatcher()
    : mod.KubernetesDispatcher;
  const dir = mkdtempSync(join(tmpdir(), 'sparkwing-metrics-ref-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: none, user: {token: none}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      'current-context: none',
      '',
    ].join('\n'),
  );
  try {
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    new KubernetesDispatcher({
      queue: { on: () => () => {}, storeDeathLog: () => {} },
      registry,
      logger: quiet,
      signingKey: 'metrics-reference-signing-key',
      // With a warm pool, so the pool families are registered too.
      config: mod.parseKubernetesDispatchConfig({
        KUBECONFIG: kubeconfig,
        SPARKWING_RUNNER_DOCKER: 'sidecar',
        SPARKWING_PVC_POOLS: '[{"name":"docker","max":1,"size":"1Gi"}]',
      }),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function findRegistry(value, depth = 0) {
  if (!value || typeof value !== 'object' || depth > 2) return undefined;
  if (typeof value.getMetricsAsJSON === 'function' && typeof value.getSingleMetric === 'function')
    return value;
  for (const child of Object.values(value)) {
    const found = findRegistry(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Every family a service's registry holds: {name, type, labels, help}, sorted by name. */
export async function serviceFamilies(spec) {
  const entry = join(ROOT, 'services', spec.service, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build @sparkwing/${spec.service} first`);
  const mod = await import(pathToFileURL(entry).href);
  const families = new Map();
  for (const factory of spec.factories) {
    if (typeof mod[factory] !== 'function') throw new Error(`${spec.service} does not export ${factory}`);
    const registry = findRegistry(mod[factory]({ defaultMetrics: true }));
    if (!registry) throw new Error(`${spec.service}.${factory}() returned no prom-client registry`);
    await spec.extend?.(mod, registry);
    for (const json of await registry.getMetricsAsJSON()) {
      const metric = registry.getSingleMetric(json.name);
      // `service` is the registry's default label on every series; listed once in the page header.
      const labels = [...(metric?.labelNames ?? [])].filter((l) => l !== 'service').sort();
      families.set(json.name, { name: json.name, type: json.type, labels, help: json.help });
    }
  }
  return [...families.values()].sort((a, b) => a.name.localeCompare(b.name));
}

const cell = (text) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const isProcess = (f) => f.name.startsWith('sparkwing_process_');

function table(families) {
  const lines = ['| Metric | Type | Labels | Help |', '|---|---|---|---|'];
  for (const f of families) {
    const labels = f.labels.length ? f.labels.map((l) => `\`${l}\``).join(', ') : '—';
    lines.push(`| \`${f.name}\` | ${f.type} | ${labels} | ${cell(f.help)} |`);
  }
  return lines.join('\n');
}

export async function render() {
  const parts = [
    '# Metrics reference',
    '',
    "<!-- Generated by scripts/metrics-reference.mjs from the services' registries. Do not edit by hand:",
    '     run `node scripts/metrics-reference.mjs`; `--check` (run by the e2e suite) fails on drift. -->',
    '',
    'Every family each service registers on its own Prometheus registry, listed whether or not it has',
    "samples yet. Every series also carries the label `service` (the registry's default label). Histograms",
    'are exposed as `<name>_bucket{le}`, `<name>_sum` and `<name>_count`. Label values are typed constants;',
    'no run, node, pod or token id is ever a label value. See [observability.md](observability.md) for how',
    'these feed the dashboard and alerts.',
    '',
  ];
  for (const spec of SERVICES) {
    const families = await serviceFamilies(spec);
    const own = families.filter((f) => !isProcess(f));
    const proc = families.filter(isProcess);
    parts.push(
      `## ${spec.service}`,
      '',
      `Scraped at ${spec.scrape}. Registered in ${spec.registration}.`,
      '',
    );
    parts.push(table(own), '');
    if (proc.length) {
      parts.push(
        '### Process metrics',
        '',
        'prom-client default metrics, prefixed `sparkwing_` (`sparkwing_process_*`, `sparkwing_nodejs_*`).',
        '',
      );
      parts.push(table(proc), '');
    }
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await render();
  if (process.argv.includes('--check')) {
    const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
    if (current !== text) {
      const want = new Set(text.split('\n'));
      const have = new Set(current.split('\n'));
      const missing = [...want].filter((l) => !have.has(l) && l.startsWith('|'));
      const stale = [...have].filter((l) => !want.has(l) && l.startsWith('|'));
      console.error(
        "docs/metrics.md is out of date with the services' registries; run node scripts/metrics-reference.mjs",
      );
      for (const l of missing) console.error(`  missing: ${l}`);
      for (const l of stale) console.error(`  stale:   ${l}`);
      process.exit(1);
    }
    console.log('docs/metrics.md matches the registries');
  } else {
    writeFileSync(OUT, text);
    console.log(`wrote ${OUT}`);
  }
}
