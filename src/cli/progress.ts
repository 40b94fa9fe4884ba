// Live progress for `submit --wait`: one line on stderr per change of state (a contract's step,
// or a plan contract's status), so it reads the same on a terminal and in a CI log.
import { setTimeout as sleep } from 'node:timers/promises';
import { isPlanState, type Arbiter, type RunState } from '../client.js';

function snapshot(s: RunState): Map<string, string> {
  if (!isPlanState(s)) {
    const agent = s.agentId ? ` (${s.agentId})` : '';
    return new Map([[s.workflowId, `${s.status}${agent}`]]);
  }
  const lines = new Map<string, string>([[s.workflowId, s.status]]);
  for (const n of s.nodes) lines.set(`  ${n.id}`, `${n.status}${n.reason ? `: ${n.reason}` : ''}`);
  return lines;
}

/** Prints changes until `signal` aborts; status errors (e.g. a worker restarting) are skipped. */
export async function followProgress(
  arbiter: Arbiter,
  workflowId: string,
  signal: AbortSignal,
): Promise<void> {
  const seen = new Map<string, string>();
  while (!signal.aborted) {
    const state = await arbiter.status(workflowId).catch(() => undefined);
    if (signal.aborted) return;
    for (const [key, value] of state ? snapshot(state) : []) {
      if (seen.get(key) === value) continue;
      seen.set(key, value);
      process.stderr.write(`${key}: ${value}\n`);
    }
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
}
