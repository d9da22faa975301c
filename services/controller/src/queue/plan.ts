import {
  ApiError,
  PLAN_NODE_ID,
  type PlanNode,
  parseCpuQuantity,
  parseMemoryQuantity,
} from '@sparkwing/contracts';

interface Vertex {
  id: string;
  needs?: string[];
}

/**
 * Rejects duplicate ids, the reserved `_plan` id, unknown needs and cycles — of nodes, and of the steps
 * inside each node — and resources that are not Kubernetes quantities, naming the offenders.
 */
export function validatePlan(planNodes: PlanNode[]): void {
  const problems = graphProblems(planNodes, 'node');
  if (planNodes.some((node) => node.id === PLAN_NODE_ID)) problems.push(`"${PLAN_NODE_ID}" is reserved`);
  for (const node of planNodes) {
    for (const problem of graphProblems(node.steps ?? [], 'step'))
      problems.push(`node ${node.id}: ${problem}`);
    for (const [what, parse] of [
      ['cpu', parseCpuQuantity],
      ['memory', parseMemoryQuantity],
    ] as const) {
      const value = node.resources?.[what];
      if (value === undefined) continue;
      try {
        parse(value);
      } catch (error) {
        problems.push(`node ${node.id}: resources.${what}: ${(error as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new ApiError('validation_failed', `invalid plan: ${problems.join('; ')}`);
}

/** Duplicate ids, unknown needs, then (only when those are clean) one cycle. */
function graphProblems(vertices: readonly Vertex[], kind: string): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const duplicates = new Set<string>();
  for (const vertex of vertices) {
    if (ids.has(vertex.id)) duplicates.add(vertex.id);
    ids.add(vertex.id);
  }
  if (duplicates.size > 0) problems.push(`duplicate ${kind} ids: ${[...duplicates].join(', ')}`);
  const unknown = vertices.flatMap((vertex) =>
    (vertex.needs ?? []).filter((need) => !ids.has(need)).map((need) => `${vertex.id} needs ${need}`),
  );
  // Node problems keep their historic wording ("unknown needs", "cycle"); step problems say "step".
  const qualifier = kind === 'node' ? '' : `${kind} `;
  if (unknown.length > 0) problems.push(`unknown ${qualifier}needs: ${unknown.join(', ')}`);
  if (problems.length === 0) {
    const cycle = findCycle(vertices);
    if (cycle) problems.push(`${qualifier}cycle: ${cycle.join(' -> ')}`);
  }
  return problems;
}

function findCycle(planNodes: readonly Vertex[]): string[] | null {
  const needs = new Map(planNodes.map((n) => [n.id, n.needs ?? []]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of needs.get(id) ?? []) {
      const found = visit(need);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const node of planNodes) {
    const found = visit(node.id);
    if (found) return found;
  }
  return null;
}
