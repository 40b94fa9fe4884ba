// Mutations of valid documents for property tests: a valid example with a few of its values
// replaced by garbage, keys deleted, duplicated or added. Shared by the loaders' properties and the
// workflows' (payloads any client may send).
import fc from 'fast-check';

type Path = (string | number)[];
const clone = <T>(v: T): T => structuredClone(v);

function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

export const garbage = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string(),
  fc.constantFrom(null, '', 0, -1, Infinity, true, [], {}, 'PT', '../../etc/passwd', 'a'.repeat(500)),
  fc.anything({ maxDepth: 3, withNullPrototype: true, withDate: true, withSparseArray: true }),
);

export type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'duplicate'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };

/** One mutation; `values` are what replaced or added values are drawn from. */
export const mutationOf = (values: fc.Arbitrary<unknown>): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: values }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('add' as const),
      at: fc.nat(),
      key: fc.oneof(
        fc.string(),
        fc.constantFrom('trust', 'score', 'id', 'dependsOn', '__proto__', 'constructor'),
      ),
      value: values,
    }),
  );

export function mutate(doc: unknown, mutations: Mutation[]): unknown {
  let root: unknown = clone(doc);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length]!;
    if (path.length === 0) {
      if (m.kind === 'replace') root = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], root) as
      Record<string | number, unknown> | unknown[];
    const key = path[path.length - 1]!;
    if (m.kind === 'replace') (parent as Record<string | number, unknown>)[key] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
    } else if (m.kind === 'duplicate') {
      // Duplicate ids: copy an element into its own array, or a value next to itself.
      if (Array.isArray(parent)) parent.push(clone(parent[Number(key)]));
      else (parent as Record<string, unknown>)[`${String(key)}2`] = clone(parent[key]);
    } else {
      const target: unknown = (parent as Record<string | number, unknown>)[key];
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        // Configurable, so a later mutation may delete it again (a plain object's own keys are).
        Object.defineProperty(target, m.key, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else (parent as Record<string | number, unknown>)[key] = m.value;
    }
  }
  return root;
}

export const mutated = (docs: unknown[], values: fc.Arbitrary<unknown> = garbage) =>
  fc
    .tuple(fc.constantFrom(...docs), fc.array(mutationOf(values), { minLength: 1, maxLength: 4 }))
    .map(([d, ms]) => mutate(d, ms));
