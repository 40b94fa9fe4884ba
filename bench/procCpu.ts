// CPU time of processes and of the whole machine, from /proc (Linux). NaN where it cannot be read.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime: this process's own CPU. */
  own: number;
  /** cutime + cstime: children it has waited for (a server's exited workers). */
  reaped: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 0, ppid 1, utime 11, stime 12, cutime 13, cstime 14.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(f[1]),
      own: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
      reaped: (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** CPU-seconds (user + system) of one process. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  return stat(pid)?.own ?? Number.NaN;
}

/**
 * CPU-seconds of a process and everything under it, exited children included once reaped: what a
 * PostgreSQL server (postmaster and its backends) costs.
 */
export function treeCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const root = stat(pid);
  if (!root) return Number.NaN;
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry);
    if (!Number.isInteger(child)) continue;
    const s = stat(child);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), child]);
  }
  let total = root.own + root.reaped;
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop()!;
    const s = stat(p);
    if (!s) continue;
    total += s.own + s.reaped;
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

/** Busy and total CPU-seconds of the whole machine since boot, all cores (from /proc/stat). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce((s: number, x) => s + (x ?? 0), 0);
  return { busy: busy / TICKS_PER_SECOND, total: (busy + (idle ?? 0) + (iowait ?? 0)) / TICKS_PER_SECOND };
}
