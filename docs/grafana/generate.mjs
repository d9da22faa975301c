#!/usr/bin/env node
// Builds docs/grafana/sparkwing.json: the dashboard is code so panel layout and queries stay consistent.
// Run `node docs/grafana/generate.mjs` after editing; e2e/observability checks the committed JSON is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DS = { type: 'prometheus', uid: '${datasource}' };
// `.*` as the All value keeps filters harmless on families that lack the label.
const PIPE = 'pipeline=~"$pipeline"';
const SVC = 'service=~"$service"';
const RI = '$__rate_interval';

let nextId = 1;
let y = 0;
const panels = [];

function row(title) {
  panels.push({
    id: nextId++,
    type: 'row',
    title,
    collapsed: false,
    gridPos: { h: 1, w: 24, x: 0, y },
    panels: [],
  });
  y += 1;
}

/** Lays a row of panels left to right; each spec carries its width, all share one height. */
function line(h, specs) {
  let x = 0;
  for (const spec of specs) {
    const { w, ...rest } = spec;
    panels.push({ ...rest, id: nextId++, gridPos: { h, w, x, y } });
    x += w;
  }
  y += h;
}

function targets(queries) {
  return queries.map(([expr, legendFormat], i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DS,
    expr,
    legendFormat: legendFormat ?? '__auto',
    range: true,
  }));
}

function stat(title, description, expr, { unit = 'short', w = 4, thresholds } = {}) {
  return {
    w,
    type: 'stat',
    title,
    description,
    datasource: DS,
    targets: targets([[expr, title]]).map((t) => ({ ...t, instant: true, range: false })),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: 'thresholds' },
        thresholds: thresholds ?? { mode: 'absolute', steps: [{ color: 'green', value: null }] },
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      justifyMode: 'auto',
      textMode: 'auto',
      orientation: 'auto',
    },
  };
}

function series(title, description, queries, { unit = 'short', w = 12, stack = false, overrides = [] } = {}) {
  return {
    w,
    type: 'timeseries',
    title,
    description,
    datasource: DS,
    targets: targets(queries),
    fieldConfig: {
      defaults: {
        unit,
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: stack ? 30 : 10,
          showPoints: 'never',
          stacking: { mode: stack ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides,
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

function color(name, fixedColor) {
  return {
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'color', value: { mode: 'fixed', fixedColor } }],
  };
}

function quantiles(metric, by = '', filter = '') {
  const sel = filter ? `{${filter}}` : '';
  const group = by ? `le, ${by}` : 'le';
  return [0.5, 0.95, 0.99].map((q) => [
    `histogram_quantile(${q}, sum by (${group}) (rate(${metric}_bucket${sel}[${RI}])))`,
    by ? `p${q * 100} {{${by}}}` : `p${q * 100}`,
  ]);
}

const ageSteps = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'orange', value: 300 },
    { color: 'red', value: 600 },
  ],
};

row('Overview');
line(4, [
  stat(
    'Queued nodes',
    'Ready nodes waiting in the claim queue (sparkwing_pending_nodes).',
    'sum(sparkwing_pending_nodes)',
  ),
  stat(
    'Running nodes',
    'Nodes executing: busy slots of long-lived runners plus running Kubernetes runner Jobs.',
    '(sum(sparkwing_runner_busy_slots) or vector(0)) + (sum(sparkwing_runner_jobs{state="running"}) or vector(0))',
  ),
  stat('Runner slots busy', 'Long-lived runner slots executing a node.', 'sum(sparkwing_runner_busy_slots)'),
  stat('Runner slots idle', 'Long-lived runner slots free to claim.', 'sum(sparkwing_runner_idle_slots)'),
  stat(
    'Active runners',
    'Runners that heartbeated within the heartbeat timeout or hold an unexpired lease.',
    'sum(sparkwing_active_runners)',
  ),
  stat(
    'Oldest ready node',
    'How long the oldest ready node has waited for a claim; alerts at 10 minutes.',
    'max(sparkwing_oldest_ready_node_age_seconds)',
    { unit: 's', thresholds: ageSteps },
  ),
]);

row('Throughput');
line(8, [
  series('Nodes enqueued / s', 'Nodes that became ready (including re-queued retries).', [
    [`sum(rate(sparkwing_nodes_enqueued_total[${RI}]))`, 'enqueued'],
    [`sum by (reason) (rate(sparkwing_nodes_requeued_total[${RI}]))`, 'requeued {{reason}}'],
  ]),
  series(
    'Nodes completed / s by outcome',
    'Terminal node results, stacked by outcome.',
    [[`sum by (outcome) (rate(sparkwing_nodes_completed_total[${RI}]))`, '{{outcome}}']],
    { stack: true, overrides: [color('success', 'green'), color('failed', 'red')] },
  ),
]);
line(8, [
  series(
    'Runs finished / s by status',
    'Runs reaching a terminal status, filtered by $pipeline.',
    [[`sum by (status) (rate(sparkwing_runs_total{${PIPE}}[${RI}]))`, '{{status}}']],
    {
      stack: true,
      overrides: [color('success', 'green'), color('failed', 'red'), color('cancelled', 'yellow')],
    },
  ),
  series('Webhook deliveries / s', 'GitHub webhook deliveries by event and outcome.', [
    [`sum by (event, outcome) (rate(sparkwing_webhook_deliveries_total[${RI}]))`, '{{event}} {{outcome}}'],
  ]),
]);

row('Latency');
line(8, [
  series(
    'Queue wait (ready → claimed)',
    'How long ready nodes wait for a runner.',
    quantiles('sparkwing_node_queue_wait_seconds'),
    {
      unit: 's',
      w: 8,
    },
  ),
  series(
    'Queue → running',
    'From ready to the runner reporting start.',
    quantiles('sparkwing_node_queue_to_running_seconds'),
    { unit: 's', w: 8 },
  ),
  series(
    'Run duration',
    'End-to-end run wall time from create to finish, filtered by $pipeline.',
    quantiles('sparkwing_run_duration_seconds', '', PIPE),
    { unit: 's', w: 8 },
  ),
]);
line(8, [
  {
    w: 24,
    type: 'heatmap',
    title: 'Queue wait heatmap',
    description:
      'Distribution of ready → claimed wait per interval (sparkwing_node_queue_wait_seconds buckets).',
    datasource: DS,
    targets: targets([
      [`sum by (le) (increase(sparkwing_node_queue_wait_seconds_bucket[${RI}]))`, '{{le}}'],
    ]).map((t) => ({ ...t, format: 'heatmap' })),
    fieldConfig: { defaults: { unit: 's' }, overrides: [] },
    options: {
      calculate: false,
      yAxis: { axisPlacement: 'left', unit: 's' },
      color: { mode: 'scheme', scheme: 'Oranges', steps: 64 },
      cellGap: 1,
      tooltip: { mode: 'single', yHistogram: true },
      legend: { show: true },
    },
  },
]);

row('Failures');
line(8, [
  series(
    'Node failures / s by failure_reason',
    'Failed nodes by classified reason; failure_reason="none" is a plain failure (read the logs).',
    [
      [
        `sum by (failure_reason) (rate(sparkwing_nodes_completed_total{outcome="failed"}[${RI}]))`,
        '{{failure_reason}}',
      ],
    ],
    { stack: true },
  ),
  series('Recoveries / s by kind', 'Controller sweeps that failed or re-queued nodes.', [
    [`sum by (kind) (rate(sparkwing_recoveries_total[${RI}]))`, '{{kind}}'],
  ]),
]);

row('Capacity');
line(8, [
  series(
    'Runner jobs by state',
    'Kubernetes runner Jobs by state (dispatcher).',
    [['sum by (state) (sparkwing_runner_jobs)', '{{state}}']],
    { w: 8 },
  ),
  series(
    'Spawn failures / s by stage',
    'Runner Job spawn failures by the stage that failed.',
    [[`sum by (reason) (rate(sparkwing_runner_spawn_failures_total[${RI}]))`, '{{reason}}']],
    { w: 8 },
  ),
  series(
    'Death logs captured / s',
    'Log tails read from abnormally ended runner pods, by outcome.',
    [[`sum by (outcome) (rate(sparkwing_death_logs_captured_total[${RI}]))`, '{{outcome}}']],
    { w: 8 },
  ),
]);
line(8, [
  series('Runner lifecycle transitions / s', 'Transitions by operation and outcome.', [
    [
      `sum by (operation, outcome) (rate(sparkwing_runner_lifecycle_transitions_total[${RI}]))`,
      '{{operation}} {{outcome}}',
    ],
  ]),
  series('Runner supply and queue depth', 'Supply (runners, slots) against demand (ready nodes).', [
    ['sum(sparkwing_active_runners)', 'active runners'],
    ['sum(sparkwing_pending_nodes)', 'queued nodes'],
    ['sum(sparkwing_runner_busy_slots)', 'busy slots'],
    ['sum(sparkwing_runner_idle_slots)', 'idle slots'],
  ]),
]);
line(8, [
  series(
    'Warm Docker-cache PVCs',
    'PVCs of each warm pool by state, against the effective target and the headroom left under max (docs/docker-builds.md).',
    [
      ['sum by (pool, state) (sparkwing_pvc_pool_size)', '{{pool}} {{state}}'],
      ['sum by (pool) (sparkwing_pvc_pool_effective_target)', '{{pool}} target'],
      ['sum by (pool) (sparkwing_pvc_pool_headroom)', '{{pool}} headroom'],
    ],
    { w: 8 },
  ),
  series(
    'PVC checkouts / s by outcome',
    'warm and waited got a filled cache; created and cold did not (a cold build); api_error: Kubernetes API failures.',
    [[`sum by (pool, outcome) (rate(sparkwing_pvc_pool_checkouts_total[${RI}]))`, '{{pool}} {{outcome}}']],
    { w: 8, stack: true, overrides: [color('docker warm', 'green'), color('docker cold', 'red')] },
  ),
  series(
    'PVC pool misses / s and checkout wait',
    'Checkouts that found no free PVC, by reason; p95 of the wait for one.',
    [
      [`sum by (pool, reason) (rate(sparkwing_pvc_pool_misses_total[${RI}]))`, '{{pool}} {{reason}}'],
      [
        `histogram_quantile(0.95, sum by (le, pool) (rate(sparkwing_pvc_pool_checkout_wait_seconds_bucket[${RI}])))`,
        '{{pool}} wait p95 (s)',
      ],
    ],
    { w: 8 },
  ),
]);

row('Dispatch endpoint');
line(8, [
  series(
    'Claim requests / s by outcome',
    'POST /api/v1/nodes/claim answers: claimed (served), empty (long-poll ended with no work), error.',
    [[`sum by (outcome) (rate(sparkwing_node_claims_total[${RI}]))`, '{{outcome}}']],
    { stack: true, overrides: [color('claimed', 'green'), color('empty', 'blue'), color('error', 'red')] },
  ),
  series(
    'Claim latency (claimed only)',
    'Claim endpoint latency for answers that handed out a node; empty answers last the long-poll wait.',
    quantiles('sparkwing_claim_request_duration_seconds', '', 'outcome="claimed"'),
    { unit: 's' },
  ),
]);

row('Services');
line(8, [
  series(
    'HTTP requests / s by service',
    'All HTTP requests, by service, filtered by $service.',
    [[`sum by (service) (rate(sparkwing_http_requests_total{${SVC}}[${RI}]))`, '{{service}}']],
    { w: 8 },
  ),
  series(
    'HTTP 5xx ratio by service',
    'Share of requests answered 5xx.',
    [
      [
        `sum by (service) (rate(sparkwing_http_requests_total{${SVC}, status=~"5.."}[${RI}])) / sum by (service) (rate(sparkwing_http_requests_total{${SVC}}[${RI}]))`,
        '{{service}}',
      ],
    ],
    { unit: 'percentunit', w: 8 },
  ),
  series(
    'HTTP p95 latency by service',
    'p95 over every route of each service.',
    [
      [
        `histogram_quantile(0.95, sum by (le, service) (rate(sparkwing_http_request_duration_seconds_bucket{${SVC}}[${RI}])))`,
        '{{service}}',
      ],
    ],
    { unit: 's', w: 8 },
  ),
]);
line(8, [
  series(
    'Logs ingest',
    'Records and bytes appended to node logs.',
    [
      [`sum(rate(sparkwing_logs_appended_records_total[${RI}]))`, 'records/s'],
      [`sum(rate(sparkwing_logs_appended_bytes_total[${RI}]))`, 'bytes/s'],
      [`sum by (reason) (rate(sparkwing_logs_rejected_appends_total[${RI}]))`, 'rejected {{reason}}'],
    ],
    { w: 8 },
  ),
  series(
    'Logs fsync and append latency',
    'p99 of the fsync shared by grouped appends and of the whole append.',
    [
      [
        `histogram_quantile(0.99, sum by (le) (rate(sparkwing_logs_fsync_duration_seconds_bucket[${RI}])))`,
        'fsync p99',
      ],
      [
        `histogram_quantile(0.99, sum by (le) (rate(sparkwing_logs_append_duration_seconds_bucket[${RI}])))`,
        'append p99',
      ],
    ],
    { unit: 's', w: 8 },
  ),
  series(
    'Live log streams',
    'Open SSE log streams on the logs service, and those the web dashboard proxies.',
    [
      ['sum(sparkwing_logs_active_streams)', 'logs service'],
      ['sum(sparkwing_web_active_sse_proxies)', 'via web'],
    ],
    { w: 8 },
  ),
]);
line(8, [
  series(
    'Cache hit ratio by store',
    'Blob store hits over hits + misses.',
    [
      [
        `sum by (store) (rate(sparkwing_gitcache_cache_hits_total[${RI}])) / (sum by (store) (rate(sparkwing_gitcache_cache_hits_total[${RI}])) + sum by (store) (rate(sparkwing_gitcache_cache_misses_total[${RI}])))`,
        '{{store}}',
      ],
    ],
    { unit: 'percentunit', w: 8 },
  ),
  series(
    'Package proxy requests / s',
    'Proxy answers by registry and result (hit, miss, stale, error).',
    [[`sum by (registry, result) (rate(sparkwing_proxy_requests_total[${RI}]))`, '{{registry}} {{result}}']],
    { w: 8 },
  ),
  series(
    'Git mirror',
    'Archives and files served, p95 background fetch time.',
    [
      [`sum(rate(sparkwing_gitcache_archives_served_total[${RI}]))`, 'archives/s'],
      [`sum(rate(sparkwing_gitcache_files_served_total[${RI}]))`, 'files/s'],
      [
        `histogram_quantile(0.95, sum by (le) (rate(sparkwing_gitcache_fetch_duration_seconds_bucket[${RI}])))`,
        'fetch p95 (s)',
      ],
    ],
    { w: 8 },
  ),
]);

const dashboard = {
  uid: 'sparkwing-operations',
  title: 'Sparkwing',
  description: 'Operational dashboard for Sparkwing: queue, dispatch, failures, capacity and services.',
  tags: ['sparkwing', 'ci'],
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  timezone: 'browser',
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  timepicker: {},
  fiscalYearStartMonth: 0,
  liveNow: false,
  links: [],
  annotations: {
    list: [
      {
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      },
    ],
  },
  templating: {
    list: [
      {
        name: 'datasource',
        label: 'Prometheus',
        type: 'datasource',
        query: 'prometheus',
        current: {},
        hide: 0,
        refresh: 1,
        regex: '',
        options: [],
      },
      {
        name: 'pipeline',
        label: 'Pipeline',
        type: 'query',
        datasource: DS,
        query: { query: 'label_values(sparkwing_runs_total, pipeline)', refId: 'PipelineVariable' },
        definition: 'label_values(sparkwing_runs_total, pipeline)',
        includeAll: true,
        multi: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
        refresh: 2,
        sort: 1,
        hide: 0,
        regex: '',
        options: [],
      },
      {
        name: 'service',
        label: 'Service',
        type: 'query',
        datasource: DS,
        query: { query: 'label_values(sparkwing_http_requests_total, service)', refId: 'ServiceVariable' },
        definition: 'label_values(sparkwing_http_requests_total, service)',
        includeAll: true,
        multi: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
        refresh: 2,
        sort: 1,
        hide: 0,
        regex: '',
        options: [],
      },
    ],
  },
  panels,
};

const out = join(dirname(fileURLToPath(import.meta.url)), 'sparkwing.json');
const text = `${JSON.stringify(dashboard, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {}
  if (current !== text) {
    console.error('docs/grafana/sparkwing.json is out of date: run node docs/grafana/generate.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out} (${panels.length} panels)`);
}
