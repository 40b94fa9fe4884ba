// Pure statistics for the benchmark: percentiles, summaries, rates and ratios. No I/O, no clock.

export interface Summary {
  n: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The p-th percentile (0..100) of the samples, linearly interpolated between closest ranks (the
 * same definition as numpy's default). NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) {
    return { n: 0, mean: NaN, min: NaN, max: NaN, p50: NaN, p95: NaN, p99: NaN };
  }
  const sum = samples.reduce((s, x) => s + x, 0);
  return {
    n: samples.length,
    mean: sum / samples.length,
    min: Math.min(...samples),
    max: Math.max(...samples),
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
  };
}

/** a / b, or NaN when either is not a finite number or b is zero (a ratio that cannot be told). */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
  return a / b;
}

/** Completed items per minute over a wall-clock span in milliseconds. */
export function perMinute(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (count * 60_000) / elapsedMs : Number.NaN;
}

/** A quantity measured over `count` items, scaled to 1,000 items. */
export function perThousand(total: number, count: number): number {
  return count > 0 ? (total * 1000) / count : Number.NaN;
}

/** Whether `actual` meets a target: `atMost` (lower is better) or `atLeast` (higher is better). */
export function meets(actual: number, target: { atMost?: number; atLeast?: number }): boolean {
  if (!Number.isFinite(actual)) return false;
  if (target.atMost !== undefined && actual > target.atMost) return false;
  if (target.atLeast !== undefined && actual < target.atLeast) return false;
  return true;
}

/** A number for a table: fixed digits, '–' for NaN. */
export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/** A small seeded PRNG (mulberry32): the same seed always gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A layered DAG of `n` nodes: `layers` layers of (nearly) equal width, each node beyond the first
 * layer depending on 1..maxDeps distinct nodes of the layer just before it. Deterministic per seed.
 */
export function layeredDag(
  n: number,
  layers: number,
  seed: number,
  maxDeps = 3,
): { id: string; layer: number; dependsOn: string[] }[] {
  const rand = seededRandom(seed);
  const width = Math.ceil(n / Math.max(1, layers));
  const nodes: { id: string; layer: number; dependsOn: string[] }[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const prev = nodes.filter((x) => x.layer === layer - 1);
    const deps = new Set<string>();
    if (prev.length > 0) {
      const want = 1 + Math.floor(rand() * Math.min(maxDeps, prev.length));
      while (deps.size < want) deps.add(prev[Math.floor(rand() * prev.length)]!.id);
    }
    nodes.push({ id: `c-${String(i).padStart(4, '0')}`, layer, dependsOn: [...deps].sort() });
  }
  return nodes;
}

/** Least-squares slope of y over x (e.g. MB of RSS per contract processed); NaN below two points. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return Number.NaN;
  const mx = xs.slice(0, n).reduce((s, x) => s + x, 0) / n;
  const my = ys.slice(0, n).reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
