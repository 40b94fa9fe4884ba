// Registers SPEC §4's search attributes on a server that lacks them (a user's own cluster);
// the embedded dev server gets them as start flags instead.
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../shared/constants.js';

const INDEXED = proto.temporal.api.enums.v1.IndexedValueType;

export function searchAttributeFlags(): string[] {
  return Object.values(SEARCH_ATTRIBUTES).flatMap((k) => [
    '--search-attribute',
    `${k.name}=${k.type === 'KEYWORD' ? 'Keyword' : 'Double'}`,
  ]);
}

export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const have = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.values(SEARCH_ATTRIBUTES).filter((k) => !have.has(k.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((k) => [
        k.name,
        k.type === 'KEYWORD' ? INDEXED.INDEXED_VALUE_TYPE_KEYWORD : INDEXED.INDEXED_VALUE_TYPE_DOUBLE,
      ]),
    ),
  });
  return missing.map((k) => k.name);
}
