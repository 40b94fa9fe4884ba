// What a measurement costs the machine: wall time, CPU of this process and of the dev server, and
// memory (peak while it runs, settled after it), plus the machine the run is on.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { temporalBin } from '../../src/embedded/temporalBin.js';

const MiB = 2 ** 20;

/** CPU seconds (user + system) of a process, from /proc; NaN where that is not readable. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12 (in clock ticks).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export interface Usage {
  wallMs: number;
  /** This process: worker(s) and client together. */
  cpuSeconds: number;
  /** The dev server's process (NaN with an external server). */
  serverCpuSeconds: number;
  peakRssMb: number;
  rssStartMb: number;
  rssEndMb: number;
}

/** Measures wall time, this process's CPU, the server's CPU and peak RSS (sampled) around `fn`. */
export async function metered<T>(serverPid: number | undefined, fn: () => Promise<T>): Promise<[T, Usage]> {
  const rssStart = process.memoryUsage().rss;
  let peak = rssStart;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const cpu0 = process.cpuUsage();
  const server0 = processCpuSeconds(serverPid);
  const t0 = performance.now();
  try {
    const value = await fn();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rssEnd = process.memoryUsage().rss;
    peak = Math.max(peak, rssEnd);
    const usage: Usage = {
      wallMs,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      serverCpuSeconds: processCpuSeconds(serverPid) - server0,
      peakRssMb: peak / MiB,
      rssStartMb: rssStart / MiB,
      rssEndMb: rssEnd / MiB,
    };
    return [value, usage];
  } finally {
    clearInterval(timer);
  }
}

/** Milliseconds `fn` takes. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** A full GC of this process's main heap (V8's gc, exposed at run time), or nothing. */
export const gc: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

export interface Settled {
  rssMb: number;
  heapUsedMb: number;
}

/** RSS and heap once things settle: after a GC, a pause, and another GC. */
export async function settledMemory(): Promise<Settled> {
  gc?.();
  await sleep(1000);
  gc?.();
  const m = process.memoryUsage();
  return { rssMb: m.rss / MiB, heapUsedMb: m.heapUsed / MiB };
}

export const loadAverage = (): number[] => loadavg().map((x) => Math.round(x * 100) / 100);

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  temporal: string;
  loadAverage: number[];
}

export function machine(): Machine {
  let temporalVersion = 'external server (TEMPORAL_ADDRESS)';
  try {
    temporalVersion = execFileSync(temporalBin(), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // left as is: an external server
  }
  const GiB = (bytes: number) => Math.round((bytes / 2 ** 30) * 10) / 10;
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: GiB(totalmem()),
    freeMemoryGiB: GiB(freemem()),
    node: process.version,
    temporal: temporalVersion,
    loadAverage: loadAverage(),
  };
}
