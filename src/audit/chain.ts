// The tamper-evident audit export: one JSON line per record, each carrying its position (`seq`),
// the previous line's hash (`prevHash`) and its own `hash` = sha256 over the canonical JSON
// (sorted keys, no whitespace) of the record with `seq` and `prevHash`. Changing a byte breaks
// that line's hash; deleting, inserting or swapping lines breaks the sequence and the links.
// Pure: no clock, no I/O, so the same records always give the same lines.
import { createHash } from 'node:crypto';

/** The `prevHash` of the first line. */
export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every level and no whitespace; `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // Top-level undefined/functions have no JSON form; inside arrays JSON.stringify writes null.
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export interface ChainFields {
  seq: number;
  prevHash: string;
  hash: string;
}

/** The hash of one line: everything in it except `hash` itself. */
export function hashOf(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return sha256(canonicalJson(rest));
}

/** Chains records (in the order given) into JSONL lines, each ending with a newline. */
export function chainLines(records: readonly Record<string, unknown>[], prevHash = GENESIS): string[] {
  let prev = prevHash;
  return records.map((record, i) => {
    const body = { ...record, seq: i + 1, prevHash: prev };
    const hash = hashOf(body);
    prev = hash;
    return `${canonicalJson({ ...body, hash })}\n`;
  });
}

export type VerifyResult =
  { ok: true; records: number; head: string } | { ok: false; records: number; line: number; problem: string };

/** Lines that are not chain records at all: the file is not an audit export (bad input, not tampering). */
export class NotAnExport extends Error {}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function looksChained(v: unknown): boolean {
  return isRecord(v) && typeof v.seq === 'number' && typeof v.hash === 'string' && 'prevHash' in v;
}

/**
 * Recomputes the chain over a file's text and stops at the first bad line (1-based line numbers,
 * as an editor shows them). An empty text is an empty export (0 records). Throws NotAnExport when
 * no line is a chain record: the file is not an audit export at all.
 */
export function verifyChain(text: string): VerifyResult {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const parsed = lines.map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return undefined;
    }
  });
  if (lines.length === 0) return { ok: true, records: 0, head: GENESIS };
  if (!parsed.some(looksChained)) {
    throw new NotAnExport('no line is an audit record (JSON with seq, prevHash and hash)');
  }

  let prev = GENESIS;
  for (const [i, value] of parsed.entries()) {
    const line = i + 1;
    const fail = (problem: string): VerifyResult => ({ ok: false, records: i, line, problem });
    if (lines[i]!.trim() === '') return fail('empty line inside the chain');
    if (value === undefined) return fail('not valid JSON');
    if (!looksChained(value)) return fail('not an audit record: seq, prevHash or hash is missing');
    const record = value as Record<string, unknown> & ChainFields;
    const expected = hashOf(record);
    if (record.hash !== expected) {
      return fail(
        `hash mismatch: the line says ${record.hash.slice(0, 12)}…, its content hashes to ${expected.slice(0, 12)}…`,
      );
    }
    if (record.seq !== line) {
      return fail(
        `seq gap: expected seq ${line}, found ${record.seq} (a line was deleted, inserted or moved)`,
      );
    }
    if (record.prevHash !== prev) {
      return fail(
        `broken link: prevHash ${String(record.prevHash).slice(0, 12)}… is not the hash of line ${line - 1} (${prev.slice(0, 12)}…)`,
      );
    }
    prev = record.hash;
  }
  return { ok: true, records: parsed.length, head: prev };
}
