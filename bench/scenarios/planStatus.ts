// Plan status latency: `Arbiter.status` of a plan as a user's `arbiter status <plan>` asks for it,
// while the plan runs and once it has ended (measured during the plans scenario's runs).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Arbiter } from '../../src/client.js';
import { timeMs } from '../harness/resources.js';

/** About `polls` polls over a plan's expected run (≈ 40 ms per contract), at least 200 ms apart. */
export const pollIntervalMs = (contracts: number, polls: number): number =>
  Math.max(200, Math.round((contracts * 40) / polls));

/** Times one status call every `intervalMs` until `ended` settles (a rejection is thrown). */
export async function statusWhileRunning(
  arbiter: Arbiter,
  planId: string,
  ended: Promise<unknown>,
  intervalMs: number,
): Promise<number[]> {
  let running = true;
  const over = ended.then(() => {
    running = false;
  });
  const samples: number[] = [];
  while (running) {
    samples.push(await timeMs(() => arbiter.status(planId)));
    await Promise.race([sleep(intervalMs), over]);
  }
  return samples;
}

/** Times `times` status calls of an ended plan, one after the other. */
export async function statusAfter(arbiter: Arbiter, planId: string, times = 5): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push(await timeMs(() => arbiter.status(planId)));
  return samples;
}
