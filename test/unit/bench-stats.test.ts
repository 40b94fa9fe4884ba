// The benchmark's statistics: the figures in docs/performance.md are only as right as these.
import { describe, expect, it } from 'vitest';
import {
  fmt,
  layeredDag,
  meets,
  percentile,
  perMinute,
  perThousand,
  ratio,
  seededRandom,
  slope,
  summarize,
} from '../../bench/stats.js';

describe('percentile', () => {
  it('interpolates between closest ranks, whatever the input order', () => {
    const xs = [40, 10, 30, 20, 50];
    expect(percentile(xs, 0)).toBe(10);
    expect(percentile(xs, 50)).toBe(30);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(xs, 25)).toBe(20);
    expect(percentile([1, 2], 50)).toBe(1.5);
    expect(percentile(xs, 95)).toBeCloseTo(48, 10);
  });

  it('puts p99 of 1..100 near the top, not at the mean', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(xs, 50)).toBe(50.5);
  });

  it('is NaN for no samples and refuses an out-of-range percentile', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });

  it('does not reorder the caller’s samples', () => {
    const xs = [3, 1, 2];
    percentile(xs, 50);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  it('gives count, mean, extremes and the percentiles', () => {
    const s = summarize([5, 1, 3]);
    expect(s).toEqual({
      n: 3,
      mean: 3,
      min: 1,
      max: 5,
      p50: 3,
      p95: 4.8,
      p99: expect.closeTo(4.96, 10) as number,
    });
  });

  it('is all NaN for no samples, never a crash', () => {
    const s = summarize([]);
    expect(s.n).toBe(0);
    expect(s.p50).toBeNaN();
    expect(s.mean).toBeNaN();
  });
});

describe('ratios and rates', () => {
  it('divides, and says NaN where a ratio cannot be told', () => {
    expect(ratio(125, 100)).toBe(1.25);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });

  it('turns counts over milliseconds into per-minute rates and per-1k figures', () => {
    expect(perMinute(100, 30_000)).toBe(200);
    expect(perMinute(5, 0)).toBeNaN();
    expect(perThousand(3, 600)).toBe(5);
    expect(perThousand(3, 0)).toBeNaN();
  });

  it('checks targets in both directions, and a NaN never meets one', () => {
    expect(meets(1.2, { atMost: 1.25 })).toBe(true);
    expect(meets(1.3, { atMost: 1.25 })).toBe(false);
    expect(meets(0.8, { atLeast: 0.8 })).toBe(true);
    expect(meets(0.79, { atLeast: 0.8 })).toBe(false);
    expect(meets(Number.NaN, { atMost: 1 })).toBe(false);
  });

  it('measures growth as a least-squares slope', () => {
    expect(slope([0, 1000, 2000], [100, 110, 120])).toBeCloseTo(0.01, 12);
    expect(slope([0, 1000, 2000], [100, 100, 100])).toBe(0);
    expect(slope([1], [1])).toBeNaN();
    expect(slope([5, 5], [1, 2])).toBeNaN();
  });

  it('prints a dash for what could not be measured', () => {
    expect(fmt(1.234, 2)).toBe('1.23');
    expect(fmt(Number.NaN)).toBe('–');
  });
});

describe('the benchmark DAG', () => {
  it('is the same for the same seed and different for another', () => {
    expect(layeredDag(50, 5, 7)).toEqual(layeredDag(50, 5, 7));
    expect(layeredDag(50, 5, 7)).not.toEqual(layeredDag(50, 5, 8));
    const r = seededRandom(1);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('has n unique ids in layers, each dependency in the layer just before', () => {
    const dag = layeredDag(100, 5, 42, 2);
    expect(new Set(dag.map((x) => x.id)).size).toBe(100);
    const layerOf = new Map(dag.map((x) => [x.id, x.layer]));
    expect(Math.max(...dag.map((x) => x.layer))).toBe(4);
    for (const node of dag) {
      if (node.layer === 0) expect(node.dependsOn).toEqual([]);
      else {
        expect(node.dependsOn.length).toBeGreaterThanOrEqual(1);
        expect(node.dependsOn.length).toBeLessThanOrEqual(2);
        for (const d of node.dependsOn) expect(layerOf.get(d)).toBe(node.layer - 1);
      }
    }
  });
});
