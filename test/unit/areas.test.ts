import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAreasPlan } from '../../src/config/files.js';
import { slugify, uniqueSlugs } from '../../src/shared/areas.js';
import { ArbiterError } from '../../src/shared/errors.js';
import { repoFile } from '../support/temporal.js';

const write = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'arbiter-areas-')), 'my-areas.yaml');
  writeFileSync(file, text);
  return file;
};

describe('enhancement areas', () => {
  it('become the same plan every time, higher priorities first, dependencies by name or slug', () => {
    const a = loadAreasPlan(repoFile('examples/areas.yaml'));
    const b = loadAreasPlan(repoFile('examples/areas.yaml'));
    expect(a).toEqual(b);
    expect(a.id).toBe('analytics-enhancements');
    expect(a.contracts.map((c) => c.id)).toEqual([
      'engagement-metrics',
      'ingestion-api',
      'weekly-report',
      'competitor-research',
    ]);
    expect(a.contracts.find((c) => c.id === 'weekly-report')?.dependsOn).toEqual([
      'engagement-metrics',
      'ingestion-api',
    ]);
  });

  it('accept a bare list, naming the plan after the file', () => {
    const plan = loadAreasPlan(
      write('- { name: One, description: First }\n- { name: One, description: Again }\n'),
    );
    expect(plan.id).toBe('my-areas');
    expect(plan.contracts.map((c) => c.id)).toEqual(['one', 'one-2']);
  });

  it('refuse a dependency on an area that does not exist, naming the field', () => {
    try {
      loadAreasPlan(write('- { name: A, description: x, dependsOn: [Nowhere] }\n'));
      throw new Error('expected BAD_INPUT');
    } catch (err) {
      expect(err).toBeInstanceOf(ArbiterError);
      expect((err as ArbiterError).toUserText()).toContain(
        'contracts[0].dependsOn: "a" depends on "Nowhere"',
      );
    }
  });

  it('refuse areas with missing fields or a wrong priority', () => {
    expect(() => loadAreasPlan(write('areas:\n  - { name: A, priority: urgent }\n'))).toThrow(
      /invalid areas file/,
    );
  });

  it('make slugs that are valid ids', () => {
    expect(slugify('  Über-Fast API / v2!  ')).toBe('uber-fast-api-v2');
    expect(slugify('***')).toBe('item');
    expect(uniqueSlugs(['A', 'a', 'A'])).toEqual(['a', 'a-2', 'a-3']);
  });
});
