// Finds the Temporal CLI that scripts/setup.mjs provisioned (or the user's own).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArbiterError } from '../shared/errors.js';

const remembered = fileURLToPath(new URL('../../.tools/temporal-path', import.meta.url));

export function temporalBin(): string {
  if (process.env.TEMPORAL_BIN) return process.env.TEMPORAL_BIN;
  if (existsSync(remembered)) {
    const path = readFileSync(remembered, 'utf8').trim();
    if (existsSync(path)) return path;
  }
  if (spawnSync('temporal', ['--version']).status === 0) return 'temporal';
  throw new ArbiterError(
    'TEMPORAL_UNREACHABLE',
    'the Temporal CLI is not installed: run `npm run setup` (or set TEMPORAL_BIN), or set TEMPORAL_ADDRESS to use a running server',
  );
}
