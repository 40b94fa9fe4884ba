// Whether a generated plan reads like a plan: each contract a distinct, specific piece of the
// work. Pure, so the same check runs in the activity, the tests and the evaluation.
import { contentWords } from '../shared/evidence.js';

interface Item {
  title: string;
  objective: string;
}
interface Generated {
  title: string;
  first: Item;
  next: Item[];
}

const words = (text: string) => new Set(contentWords(text));
const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((w) => b.has(w));
/** Share of words two texts have in common (Jaccard). */
function overlap(a: Set<string>, b: Set<string>): number {
  const common = [...a].filter((w) => b.has(w)).length;
  return common / (a.size + b.size - common || 1);
}

/**
 * Problems a person would see at once, as lines the model (and the trail) can read: titles or
 * objectives that repeat, a title that only restates the request, the example copied.
 */
export function planProblems(plan: Generated, request: string, example?: Generated): string[] {
  const items = [plan.first, ...plan.next];
  const problems: string[] = [];
  const asked = words(request);
  const titles = items.map((c) => words(c.title));
  const seen = new Set<number>();
  titles.forEach((t, i) => {
    if (seen.has(i)) return;
    const twins = titles.flatMap((u, j) => (j > i && overlap(t, u) >= 0.75 ? [j] : []));
    twins.forEach((j) => seen.add(j));
    if (twins.length > 0)
      problems.push(
        `the title "${items[i]!.title}" is used ${twins.length + 1} times; give each contract its own`,
      );
  });
  items.forEach((c, i) => {
    const t = titles[i]!;
    if (t.size === 0 || [...t].every((w) => asked.has(w))) {
      problems.push(`the title "${c.title}" only repeats the request; say which part of the work it is`);
    }
  });
  const objectives = items.map((c) => words(c.objective));
  if (objectives.some((o, i) => objectives.some((p, j) => j > i && same(o, p)))) {
    problems.push('two contracts have the same objective');
  }
  if (example) {
    const copied = [example.first, ...example.next].map((c) => words(c.title));
    for (const [i, t] of titles.entries()) {
      if (copied.some((e) => same(e, t))) problems.push(`"${items[i]!.title}" is copied from the example`);
    }
  }
  return [...new Set(problems)];
}
