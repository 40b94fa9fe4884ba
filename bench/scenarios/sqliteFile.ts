// Levers of the dev server's storage: S on a dev server of its own that keeps history in a SQLite
// file as `arbiter dev` does, with SQLite's defaults and with pragmas that trade durability for
// speed (never applied to user data). Only with the bench's own server (not TEMPORAL_ADDRESS).
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { Bench } from '../harness/bench.js';
import { leversPart, measureLever, type LeverResult } from '../harness/levers.js';
import type { Scenario } from '../harness/scenario.js';
import { Stack } from '../harness/stack.js';
import { contractWorkload } from '../harness/workloads.js';
import { contract } from './contract.js';

const PRAGMAS = [[], ['journal_mode=wal', 'synchronous=off']];

/** S on a file-backed dev server with `pragmas`, served by an Arbiter worker with the bench's bundle. */
async function onFileServer(bench: Bench, pragmas: string[], base: LeverResult['result']) {
  const dir = mkdtempSync(join(bench.tempDir, 'sqlite-'));
  const stack = await Stack.open({ dbFile: join(dir, 'temporal.db'), sqlitePragmas: pragmas });
  try {
    const config = { ...bench.setup.config, address: stack.address };
    await stack.startArbiterWorker({ ...bench.setup, config });
    const arbiter = await stack.connectArbiter(config);
    const lever = `S on a file-backed dev server${pragmas.length ? `, pragmas ${pragmas.join(', ')}` : ' (as arbiter dev)'}`;
    const workload = contractWorkload(pragmas.length ? 'S, sqlite file, pragmas' : 'S, sqlite file', arbiter);
    return await measureLever(bench, lever, workload, base, {
      client: arbiter.client,
      serverPid: stack.serverPid,
    });
  } finally {
    await stack.close();
  }
}

export const sqliteFile: Scenario<LeverResult[]> = {
  key: 'sqliteFile',
  run: async (bench, results) => {
    if (!bench.embedded) return [];
    const levers: LeverResult[] = [];
    for (const pragmas of PRAGMAS) levers.push(await onFileServer(bench, pragmas, results.get(contract)));
    return levers;
  },
  report: leversPart,
};
