// The one report builder. Scenarios describe their figures as table rows and targets (a `Part`);
// this lays them out as one markdown report (the main table, the ratios and targets, then the
// scenarios' tables), prints it, and writes bench/results/<timestamp>.json (every figure) and
// bench/results/latest.md.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './harness/resources.js';
import { log } from './harness/settings.js';
import { fmt } from './stats.js';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

/** A markdown table; parts that give the same id add rows to one table (the first part's heading). */
export interface Table {
  id: string;
  /** Its `##` heading; the main table has none. */
  heading?: string;
  columns: string[];
  rows: string[][];
}

export interface Target {
  measure: string;
  value: string;
  target: string;
  met: boolean;
  /** A --quick run (the CI smoke) fails when this target is not met. */
  gate?: boolean;
}

/** What one scenario (or the cross-scenario summary) adds to the report. */
export interface Part {
  tables?: Table[];
  targets?: Target[];
}

/** The standard tables in print order; tables with other ids follow in the order they came. */
const LAYOUT = ['runs', 'targets', 'memory', 'soak', 'governance', 'levers', 'fanOut', 'scale'];

export interface RunInfo {
  startedAt: string;
  quick: boolean;
  machine: Machine;
  loadAfter: number[];
  totalSeconds: number;
}

function targetsTable(targets: Target[]): Table {
  return {
    id: 'targets',
    heading: 'Ratios and targets',
    columns: ['measure', 'value', 'target', 'met'],
    rows: targets.map((t) => [t.measure, t.value, t.target, t.met ? 'yes' : '**no**']),
  };
}

/** The parts' tables, rows of the same id together, in LAYOUT order. */
function layout(parts: Part[]): Table[] {
  const tables = new Map<string, Table>();
  const all = [...parts.flatMap((p) => p.tables ?? []), targetsTable(parts.flatMap((p) => p.targets ?? []))];
  for (const t of all) {
    const merged = tables.get(t.id);
    if (merged) merged.rows.push(...t.rows);
    else tables.set(t.id, { ...t, rows: [...t.rows] });
  }
  const rank = (id: string) => (LAYOUT.includes(id) ? LAYOUT.indexOf(id) : LAYOUT.length);
  return [...tables.values()].sort((a, b) => rank(a.id) - rank(b.id));
}

const line = (cells: string[]) => `| ${cells.join(' | ')} |`;

function renderTable(t: Table): string[] {
  return [
    ...(t.heading ? ['', `## ${t.heading}`, ''] : []),
    line(t.columns),
    line(t.columns.map(() => '---')),
    ...t.rows.map(line),
  ];
}

export function markdown(run: RunInfo, parts: Part[]): string {
  const m = run.machine;
  return [
    `# Arbiter benchmark — ${run.startedAt}${run.quick ? ' (quick)' : ''}`,
    '',
    `Machine: ${m.nproc} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.temporal.split('\n')[0]}; ` +
      `load average before ${m.loadAverage.join(' / ')}, after ${run.loadAfter.join(' / ')}. ` +
      `CPU is this process (workers and client together) and, separately, the dev server.`,
    '',
    ...layout(parts).flatMap(renderTable),
    '',
    `Total benchmark wall time: ${fmt(run.totalSeconds, 0)} s.`,
    '',
  ].join('\n');
}

/** Prints the report and writes it to latest.md, and every figure to <startedAt>.json. */
export function writeReport(run: RunInfo, md: string, figures: Record<string, unknown>): void {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = run.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(resultsDir, `${stamp}.json`), `${JSON.stringify({ ...run, ...figures }, null, 2)}\n`);
  writeFileSync(join(resultsDir, 'latest.md'), md);
  process.stdout.write(`${md}\n`);
  log(
    `wrote bench/results/${stamp}.json and bench/results/latest.md (${readdirSync(resultsDir).length} files)`,
  );
}
