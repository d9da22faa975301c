/**
 * A faithful SUBSET of Grafana's dashboard JSON model (the `Dashboard` kind, schemaVersion 39, as in
 * grafana/kinds/dashboard): the fields Sparkwing's dashboard uses, with Grafana's types, required fields and
 * enums. It is not the complete upstream schema (no network here to fetch it); fields outside this subset
 * are rejected so a typo cannot hide. Returns every violation as `path: message`.
 */

type Check = (value: unknown, path: string, errors: string[]) => void;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(opts: { enum?: readonly string[]; nonEmpty?: boolean } = {}): Check {
  return (v, path, errors) => {
    if (typeof v !== 'string') return void errors.push(`${path}: expected string`);
    if (opts.nonEmpty && v.length === 0) errors.push(`${path}: must not be empty`);
    if (opts.enum && !opts.enum.includes(v))
      errors.push(`${path}: "${v}" is not one of ${opts.enum.join(', ')}`);
  };
}

function int(opts: { min?: number; max?: number } = {}): Check {
  return (v, path, errors) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return void errors.push(`${path}: expected integer`);
    if (opts.min !== undefined && v < opts.min) errors.push(`${path}: ${v} < ${opts.min}`);
    if (opts.max !== undefined && v > opts.max) errors.push(`${path}: ${v} > ${opts.max}`);
  };
}

const bool: Check = (v, path, errors) => {
  if (typeof v !== 'boolean') errors.push(`${path}: expected boolean`);
};
const any: Check = () => {};
const obj: Check = (v, path, errors) => {
  if (!isObject(v)) errors.push(`${path}: expected object`);
};

function oneOf(...checks: Check[]): Check {
  return (v, path, errors) => {
    for (const check of checks) {
      const local: string[] = [];
      check(v, path, local);
      if (local.length === 0) return;
    }
    errors.push(`${path}: matches none of the allowed shapes`);
  };
}

function array(item: Check, opts: { min?: number } = {}): Check {
  return (v, path, errors) => {
    if (!Array.isArray(v)) return void errors.push(`${path}: expected array`);
    if (opts.min !== undefined && v.length < opts.min)
      errors.push(`${path}: needs at least ${opts.min} items`);
    for (const [i, x] of v.entries()) item(x, `${path}[${i}]`, errors);
  };
}

function object(required: Record<string, Check>, optional: Record<string, Check> = {}, open = false): Check {
  return (v, path, errors) => {
    if (!isObject(v)) return void errors.push(`${path}: expected object`);
    for (const [key, check] of Object.entries(required)) {
      if (!(key in v)) errors.push(`${path}.${key}: required`);
      else check(v[key], `${path}.${key}`, errors);
    }
    for (const [key, value] of Object.entries(v)) {
      if (key in required) continue;
      if (key in optional) optional[key]!(value, `${path}.${key}`, errors);
      else if (!open) errors.push(`${path}.${key}: not in the dashboard model`);
    }
  };
}

/** DataSourceRef: `{type, uid}`; uid may be a template variable such as `${datasource}`. */
const dataSourceRef = object({}, { type: str(), uid: str() });

/** Core panel plugin ids shipped with Grafana 10/11. */
export const PANEL_TYPES = [
  'timeseries',
  'stat',
  'gauge',
  'bargauge',
  'table',
  'heatmap',
  'histogram',
  'piechart',
  'text',
  'logs',
  'state-timeline',
  'status-history',
  'barchart',
  'row',
] as const;

const gridPos = object(
  { h: int({ min: 1 }), w: int({ min: 1, max: 24 }), x: int({ min: 0, max: 23 }), y: int({ min: 0 }) },
  { static: bool },
);

/** A Prometheus query target: refId and expr are required for a query to run. */
const target = object(
  { refId: str({ nonEmpty: true }), expr: str({ nonEmpty: true }) },
  {
    datasource: dataSourceRef,
    legendFormat: str(),
    range: bool,
    instant: bool,
    format: str({ enum: ['time_series', 'table', 'heatmap'] }),
    interval: str(),
    hide: bool,
    editorMode: str({ enum: ['code', 'builder'] }),
  },
);

const thresholds = object({
  mode: str({ enum: ['absolute', 'percentage'] }),
  steps: array(
    object({
      color: str(),
      value: (v, p, e) => {
        if (v !== null && typeof v !== 'number') e.push(`${p}: expected number or null`);
      },
    }),
  ),
});

const fieldConfig = object(
  {
    defaults: object(
      {},
      {
        unit: str(),
        color: obj,
        thresholds,
        custom: obj,
        min: any,
        max: any,
        decimals: any,
        mappings: array(obj),
        displayName: str(),
      },
    ),
    overrides: array(
      object({
        matcher: object({ id: str(), options: any }),
        properties: array(object({ id: str(), value: any })),
      }),
    ),
  },
  {},
);

const panelFields = {
  id: int({ min: 1 }),
  type: str({ enum: PANEL_TYPES }),
  title: str({ nonEmpty: true }),
  gridPos,
};

const graphPanel = object(
  {
    ...panelFields,
    datasource: dataSourceRef,
    targets: array(target, { min: 1 }),
    fieldConfig,
    options: obj,
  },
  {
    description: str(),
    transparent: bool,
    interval: str(),
    maxDataPoints: int({ min: 1 }),
    transformations: array(obj),
    links: array(obj),
    pluginVersion: str(),
  },
);

const rowPanel = object(
  { ...panelFields, collapsed: bool, panels: array(obj) },
  { datasource: dataSourceRef, repeat: str() },
);

const panel: Check = (v, path, errors) => {
  if (isObject(v) && v.type === 'row') rowPanel(v, path, errors);
  else graphPanel(v, path, errors);
};

const VARIABLE_TYPES = [
  'query',
  'adhoc',
  'constant',
  'datasource',
  'interval',
  'textbox',
  'custom',
  'system',
] as const;

const variable = object(
  { name: str({ nonEmpty: true }), type: str({ enum: VARIABLE_TYPES }) },
  {
    label: str(),
    description: str(),
    query: oneOf(str(), object({ query: str({ nonEmpty: true }) }, { refId: str(), qryType: int() })),
    definition: str(),
    datasource: oneOf(dataSourceRef, (v, p, e) => v !== null && e.push(`${p}: not null`)),
    current: obj,
    options: array(obj),
    includeAll: bool,
    multi: bool,
    allValue: str(),
    refresh: int({ min: 0, max: 2 }),
    sort: int({ min: 0, max: 8 }),
    hide: int({ min: 0, max: 2 }),
    regex: str(),
    skipUrlSync: bool,
  },
);

const annotation = object(
  { name: str(), datasource: dataSourceRef, enable: bool, iconColor: str() },
  { builtIn: int(), hide: bool, type: str(), target: obj, expr: str() },
);

export const dashboardSchema: Check = object(
  {
    title: str({ nonEmpty: true }),
    schemaVersion: int({ min: 36 }),
    panels: array(panel, { min: 1 }),
    templating: object({ list: array(variable) }),
    time: object({ from: str(), to: str() }),
  },
  {
    uid: (v, p, e) => {
      str({ nonEmpty: true })(v, p, e);
      if (typeof v === 'string' && !/^[a-zA-Z0-9_-]{1,40}$/.test(v))
        e.push(`${p}: uid must be ≤ 40 chars of [a-zA-Z0-9_-]`);
    },
    id: (v, p, e) => v !== null && int()(v, p, e),
    description: str(),
    tags: array(str()),
    editable: bool,
    graphTooltip: int({ min: 0, max: 2 }),
    version: int({ min: 0 }),
    timezone: str(),
    refresh: oneOf(str(), bool),
    timepicker: obj,
    fiscalYearStartMonth: int({ min: 0, max: 11 }),
    liveNow: bool,
    weekStart: str(),
    links: array(obj),
    annotations: object({ list: array(annotation) }),
  },
);

/** Schema violations plus the model's cross-field rules: unique panel ids, unique refIds, no overlaps. */
export function validateDashboard(dashboard: unknown): string[] {
  const errors: string[] = [];
  dashboardSchema(dashboard, '$', errors);
  if (errors.length > 0 || !isObject(dashboard)) return errors;
  const panels = dashboard.panels as Array<{
    id: number;
    title: string;
    gridPos: { x: number; y: number; w: number; h: number };
    targets?: Array<{ refId: string }>;
  }>;
  const ids = new Set<number>();
  const cells = new Set<string>();
  for (const p of panels) {
    if (ids.has(p.id)) errors.push(`panel id ${p.id} is used twice`);
    ids.add(p.id);
    const { x, y, w, h } = p.gridPos;
    if (x + w > 24) errors.push(`panel ${p.id} "${p.title}": x + w = ${x + w} exceeds the 24-column grid`);
    for (let i = x; i < x + w; i++) {
      for (let j = y; j < y + h; j++) {
        const key = `${i},${j}`;
        if (cells.has(key)) {
          errors.push(`panel ${p.id} "${p.title}" overlaps another panel at ${key}`);
          i = x + w;
          break;
        }
        cells.add(key);
      }
    }
    if (p.targets) {
      const refs = p.targets.map((t) => t.refId);
      if (new Set(refs).size !== refs.length) errors.push(`panel ${p.id} "${p.title}" repeats a refId`);
    }
  }
  const names = (dashboard.templating as { list: Array<{ name: string }> }).list.map((v) => v.name);
  if (new Set(names).size !== names.length) errors.push('template variable names repeat');
  return errors;
}
