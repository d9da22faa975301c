import { ApiError, PLAN_NODE_ID, type PlanNode } from '@sparkwing/contracts';

/** Rejects duplicate ids, the reserved `_plan` id, unknown needs and cycles, naming the offenders. */
export function validatePlan(planNodes: PlanNode[]): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  const duplicates = new Set<string>();
  for (const node of planNodes) {
    if (ids.has(node.id)) duplicates.add(node.id);
    ids.add(node.id);
  }
  if (duplicates.size > 0) problems.push(`duplicate node ids: ${[...duplicates].join(', ')}`);
  if (ids.has(PLAN_NODE_ID)) problems.push(`"${PLAN_NODE_ID}" is reserved`);
  const unknown = planNodes.flatMap((node) =>
    (node.needs ?? []).filter((need) => !ids.has(need)).map((need) => `${node.id} needs ${need}`),
  );
  if (unknown.length > 0) problems.push(`unknown needs: ${unknown.join(', ')}`);
  if (problems.length === 0) {
    const cycle = findCycle(planNodes);
    if (cycle) problems.push(`cycle: ${cycle.join(' -> ')}`);
  }
  if (problems.length > 0) throw new ApiError('validation_failed', `invalid plan: ${problems.join('; ')}`);
}

function findCycle(planNodes: PlanNode[]): string[] | null {
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
