import type { RunNode } from '@sparkwing/contracts';
import { type MouseEvent, useMemo } from 'react';
import { navigate } from '../lib/router.js';

const BOX_W = 168;
const BOX_H = 44;
const COL_GAP = 56;
const ROW_GAP = 14;
const PAD = 8;

interface Placed {
  node: RunNode;
  x: number;
  y: number;
}

/** Columns by longest path from a root, so every edge points right. */
function layout(nodes: RunNode[]): { placed: Map<string, Placed>; width: number; height: number } {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    if (!node || seen.has(id)) return 0;
    seen.add(id);
    const d = node.needs
      .filter((need) => byId.has(need))
      .reduce((max, need) => Math.max(max, depthOf(need, seen) + 1), 0);
    depth.set(id, d);
    return d;
  };
  const columns: RunNode[][] = [];
  for (const node of nodes) {
    const d = depthOf(node.id, new Set());
    const column = columns[d] ?? [];
    column.push(node);
    columns[d] = column;
  }
  const placed = new Map<string, Placed>();
  let rows = 0;
  columns.forEach((column, c) => {
    rows = Math.max(rows, column.length);
    column.forEach((node, r) => {
      placed.set(node.id, { node, x: PAD + c * (BOX_W + COL_GAP), y: PAD + r * (BOX_H + ROW_GAP) });
    });
  });
  return {
    placed,
    width: PAD * 2 + columns.length * BOX_W + Math.max(0, columns.length - 1) * COL_GAP,
    height: PAD * 2 + rows * BOX_H + Math.max(0, rows - 1) * ROW_GAP,
  };
}

function label(text: string, max = 20): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The job graph: needs as edges, each job a link that selects it. */
export function Dag({
  nodes,
  selected,
  hrefFor,
}: {
  nodes: RunNode[];
  selected: string | null;
  hrefFor: (id: string) => string;
}) {
  const { placed, width, height } = useMemo(() => layout(nodes), [nodes]);
  const go = (event: MouseEvent, href: string) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(href, { replace: true });
  };
  return (
    <div className="dag-wrap">
      <svg
        className="dag"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        aria-labelledby="dag-title"
      >
        <title id="dag-title">Job graph</title>
        {[...placed.values()].flatMap(({ node, x, y }) =>
          node.needs.flatMap((need) => {
            const from = placed.get(need);
            if (!from) return [];
            const x1 = from.x + BOX_W;
            const y1 = from.y + BOX_H / 2;
            const x2 = x;
            const y2 = y + BOX_H / 2;
            const mid = (x1 + x2) / 2;
            return [
              <path
                key={`${need}->${node.id}`}
                className={`edge edge-${from.node.status}`}
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
              />,
            ];
          }),
        )}
        {[...placed.values()].map(({ node, x, y }) => {
          const href = hrefFor(node.id);
          return (
            <a
              key={node.id}
              href={href}
              onClick={(event) => go(event, href)}
              className={`dag-node status-${node.status} ${selected === node.id ? 'selected' : ''}`}
              aria-label={`${node.id}: ${node.status}`}
              aria-current={selected === node.id ? 'true' : undefined}
              data-node-id={node.id}
            >
              <title>{`${node.id} — ${node.status}`}</title>
              <rect x={x} y={y} width={BOX_W} height={BOX_H} rx={8} />
              <circle cx={x + 16} cy={y + BOX_H / 2} r={5} className="dag-dot" />
              <text x={x + 30} y={y + 19} className="dag-label">
                {label(node.id)}
              </text>
              <text x={x + 30} y={y + 34} className="dag-sub">
                {node.result?.failure_reason ?? node.status}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}
