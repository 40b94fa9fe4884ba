// The audit export's hash chain: any edit to an exported file is found, at the line it was made.
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  chainLines,
  GENESIS,
  hashOf,
  NotAnExport,
  verifyChain,
} from '../../src/audit/chain.js';

const records = Array.from({ length: 5 }, (_, i) => ({
  workflowId: `contract/c${i + 1}`,
  state: { outcome: i === 3 ? 'REJECTED' : 'SUCCEEDED', usage: { costUsd: 0.01 * i } },
}));
const text = () => chainLines(records).join('');
const lines = () => text().split('\n').slice(0, -1);

describe('audit chain', () => {
  it('canonical JSON sorts keys at every level, so key order never changes a hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}',
    );
    expect(chainLines([{ b: 1, a: 2 }])).toEqual(chainLines([{ a: 2, b: 1 }]));
  });

  it('links each line to the one before, starting from the genesis hash', () => {
    const parsed = lines().map((l) => JSON.parse(l) as { seq: number; prevHash: string; hash: string });
    expect(parsed.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(parsed[0]!.prevHash).toBe(GENESIS);
    for (let i = 1; i < parsed.length; i++) expect(parsed[i]!.prevHash).toBe(parsed[i - 1]!.hash);
    // The same records export to the same bytes.
    expect(text()).toBe(text());
  });

  it('verifies an intact export and reports its head hash', () => {
    const r = verifyChain(text());
    const last = JSON.parse(lines()[4]!) as { hash: string };
    expect(r).toEqual({ ok: true, records: 5, head: last.hash });
    expect(verifyChain('')).toMatchObject({ ok: true, records: 0 });
  });

  it('finds a one-byte change at its line as a hash mismatch', () => {
    const ls = lines();
    ls[2] = ls[2]!.replace('"outcome":"SUCCEEDED"', '"outcome":"SUCCEEDEE"');
    const r = verifyChain(`${ls.join('\n')}\n`);
    expect(r).toMatchObject({ ok: false, line: 3, records: 2 });
    expect(!r.ok && r.problem).toMatch(/^hash mismatch/);
  });

  it('finds a change that breaks the JSON at its line', () => {
    const ls = lines();
    ls[1] = ls[1]!.slice(0, -1);
    expect(verifyChain(ls.join('\n'))).toMatchObject({ ok: false, line: 2, problem: 'not valid JSON' });
  });

  it('finds a deleted line where the sequence jumps', () => {
    const ls = lines();
    ls.splice(1, 1);
    const r = verifyChain(ls.join('\n'));
    expect(r).toMatchObject({ ok: false, line: 2 });
    expect(!r.ok && r.problem).toMatch(/^seq gap: expected seq 2, found 3/);
  });

  it('finds swapped lines at the first of them', () => {
    const ls = lines();
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    const r = verifyChain(ls.join('\n'));
    expect(r).toMatchObject({ ok: false, line: 3 });
    expect(!r.ok && r.problem).toMatch(/^seq gap: expected seq 3, found 4/);
  });

  it('finds a deletion hidden by renumbering and rehashing as a broken link', () => {
    const ls = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    ls.splice(1, 1);
    // The forger renumbers the next line and recomputes its hash; its link still names the deleted line.
    const renumbered = { ...ls[1]!, seq: 2 };
    ls[1] = { ...renumbered, hash: hashOf(renumbered) };
    const r = verifyChain(ls.map((l) => JSON.stringify(l)).join('\n'));
    expect(r).toMatchObject({ ok: false, line: 2 });
    expect(!r.ok && r.problem).toMatch(/^broken link/);
  });

  it('refuses a file that is not an export at all', () => {
    expect(() => verifyChain('# Arbiter\nsome text\n')).toThrow(NotAnExport);
    expect(() => verifyChain('{"a":1}\n')).toThrow(NotAnExport);
  });
});
