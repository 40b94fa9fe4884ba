// Pure measures for the evaluation (docs/judgement.md): no I/O, no clock, unit-tested.
import type { Plan } from '../src/shared/contract.js';
import type { MustCover } from './set.js';

export interface Judged {
  expected: string;
  got: string;
  /** The repo's Cedar policies sent it to a person. */
  human: boolean;
  latencyMs: number;
  cpuMs: number;
}

export interface DomainScore {
  precision: number;
  recall: number;
  /** Texts whose expected domain this is. */
  support: number;
}

export interface ClassificationReport {
  n: number;
  accuracy: number;
  perDomain: Record<string, DomainScore>;
  /** Of the texts that are not regulated, the share put in a regulated domain. */
  regulatedFpRate: number;
  regulatedFp: number;
  humanShare: number;
  p50LatencyMs: number;
  cpuMsPerText: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const share = (part: number, whole: number) => (whole === 0 ? Number.NaN : part / whole);

export function scoreClassification(
  rows: readonly Judged[],
  domains: readonly string[],
  regulated: readonly string[],
): ClassificationReport {
  const perDomain: Record<string, DomainScore> = {};
  for (const d of domains) {
    const truePos = rows.filter((r) => r.expected === d && r.got === d).length;
    const predicted = rows.filter((r) => r.got === d).length;
    const support = rows.filter((r) => r.expected === d).length;
    perDomain[d] = { precision: share(truePos, predicted), recall: share(truePos, support), support };
  }
  const notRegulated = rows.filter((r) => !regulated.includes(r.expected));
  const regulatedFp = notRegulated.filter((r) => regulated.includes(r.got)).length;
  return {
    n: rows.length,
    accuracy: share(rows.filter((r) => r.expected === r.got).length, rows.length),
    perDomain,
    regulatedFp,
    regulatedFpRate: share(regulatedFp, notRegulated.length),
    humanShare: share(rows.filter((r) => r.human).length, rows.length),
    p50LatencyMs: median(rows.map((r) => r.latencyMs)),
    cpuMsPerText: share(
      rows.reduce((s, r) => s + r.cpuMs, 0),
      rows.length,
    ),
  };
}

const STOP = new Set(
  'a an the and or of for to in on with from into by at our we your my their its is are be as this that it new'.split(
    ' ',
  ),
);

/** Lowercase content words (stop words dropped). */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOP.has(w));
}

/** Titles compared as people read them: case, punctuation and spacing do not make two titles differ. */
const normalTitle = (t: string) => contentWords(t).join(' ');

export interface PlanQuality {
  contracts: number;
  /** Every contract has its own title. */
  distinctTitles: boolean;
  /** Some contract's title is just the request again. */
  repeatsRequest: boolean;
  /** No dependency on a later contract or on one that shares no content word with it. */
  dependenciesSane: boolean;
  /** Share of the request's `mustCover` items some contract covers. */
  coverage: number;
}

/** Word-start match: "analy" covers "analytics", "test" does not fire inside "latest". */
const mentions = (text: string, word: string) =>
  new RegExp(`\\b${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i').test(text);

export function planQuality(plan: Plan, request: string, mustCover: readonly MustCover[]): PlanQuality {
  const titles = plan.contracts.map((c) => normalTitle(c.title));
  const index = new Map(plan.contracts.map((c, i) => [c.id, i]));
  const words = plan.contracts.map((c) => new Set(contentWords(`${c.title} ${c.objective}`)));
  const dependenciesSane = plan.contracts.every((c, i) =>
    c.dependsOn.every((d) => {
      const j = index.get(d);
      return j !== undefined && j < i && [...words[j]!].some((w) => words[i]!.has(w));
    }),
  );
  const texts = plan.contracts.map((c) => `${c.title}\n${c.objective}`);
  const covered = mustCover.filter((m) => m.any.some((w) => texts.some((t) => mentions(t, w)))).length;
  return {
    contracts: plan.contracts.length,
    distinctTitles: new Set(titles).size === titles.length,
    repeatsRequest: titles.includes(normalTitle(request)),
    dependenciesSane,
    coverage: covered / mustCover.length,
  };
}
