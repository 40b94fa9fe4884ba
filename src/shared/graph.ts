// Dependency-graph checks shared by the plan loader (bad input, before anything starts) and the
// plan workflow (ordering). Pure: no Temporal, no I/O.
export interface Node {
  id: string;
  dependsOn: readonly string[];
}

export type GraphProblem =
  | { kind: 'duplicate'; id: string; index: number }
  | { kind: 'dangling'; id: string; missing: string; index: number }
  | { kind: 'cycle'; ids: string[] };

/** Every structural problem, in input order; empty when the graph is a valid DAG. */
export function graphProblems(nodes: readonly Node[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const seen = new Set<string>();
  nodes.forEach((n, index) => {
    if (seen.has(n.id)) problems.push({ kind: 'duplicate', id: n.id, index });
    seen.add(n.id);
  });
  nodes.forEach((n, index) => {
    for (const dep of n.dependsOn) {
      if (!seen.has(dep)) problems.push({ kind: 'dangling', id: n.id, missing: dep, index });
    }
  });
  const cycle = findCycle(nodes);
  if (cycle) problems.push({ kind: 'cycle', ids: cycle });
  return problems;
}

/** One cycle as the ids along it (first id repeated at the end), or undefined. */
export function findCycle(nodes: readonly Node[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n.id);
    if (found) return found;
  }
  return undefined;
}

/** Kahn's algorithm, stable in input order. Assumes a valid DAG. */
export function topologicalOrder(nodes: readonly Node[]): string[] {
  const remaining = new Map(nodes.map((n) => [n.id, new Set(n.dependsOn)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, d]) => d.size === 0).map(([id]) => id);
    if (ready.length === 0) throw new Error('dependency cycle');
    for (const id of ready) {
      remaining.delete(id);
      order.push(id);
      for (const d of remaining.values()) d.delete(id);
    }
  }
  return order;
}
