// The performance benchmark (docs/performance.md): `npx tsx bench/run.ts [--quick]`.
//
// One run sets up a Temporal server and the workers once (harness/bench.ts), runs the scenarios
// below in order on it, and hands their results to the one report builder (report.ts, with the
// cross-scenario ratios and targets from summary.ts): a markdown report on stdout, in
// bench/results/latest.md, and every figure in bench/results/<timestamp>.json.
//
// Adding a scenario (say bench/scenarios/cluster.ts): export a `Scenario` (harness/scenario.ts):
// a `key` for its results, `run(bench, results)` to measure on the shared set-up (earlier
// scenarios' results at hand), and `report(result)` for its rows (in the main or the levers table,
// by their ids), tables of its own (printed after the standard ones) and targets. Then import it
// here and add it to SCENARIOS where it should run. With `flag: '--cluster'` it runs only when
// that flag is given, after the scenarios before it in the list; the flags of all scenarios are
// accepted on the command line and any other is refused (exit 2).
import { withBench } from './harness/bench.js';
import { gc, loadAverage, machine } from './harness/resources.js';
import { Results, type Scenario } from './harness/scenario.js';
import { countsFor, START_CONCURRENCY } from './harness/settings.js';
import { markdown, writeReport, type RunInfo } from './report.js';
import { baselines } from './scenarios/baselines.js';
import { contract } from './scenarios/contract.js';
import { eagerStart } from './scenarios/eagerStart.js';
import { fanOut } from './scenarios/fanOut.js';
import { governance } from './scenarios/governance.js';
import { mimic } from './scenarios/mimic.js';
import { plans } from './scenarios/plans.js';
import { scale } from './scenarios/scale.js';
import { soak } from './scenarios/soak.js';
import { toolCall } from './scenarios/toolCall.js';
import { sqliteFile } from './scenarios/sqliteFile.js';
import { workerTuning } from './scenarios/workerTuning.js';
import { summary } from './summary.js';

// `--cluster`: the scale-out scenario on the production-shape cluster instead (bench/cluster.ts).
if (process.argv.includes('--cluster')) await (await import('./cluster.js')).main();

/** In run order. Later scenarios may compare with earlier ones (the levers with S, say). */
const SCENARIOS: Scenario[] = [
  governance,
  baselines,
  contract,
  plans,
  mimic,
  eagerStart,
  workerTuning,
  sqliteFile,
  fanOut,
  scale,
  soak,
  toolCall,
];

class UsageError extends Error {}

function parseFlags(argv: string[]): { quick: boolean; selected: Scenario[] } {
  const known = ['--quick', ...SCENARIOS.flatMap((s) => (s.flag ? [s.flag] : []))];
  const unknown = argv.filter((a) => !known.includes(a));
  if (unknown.length) {
    throw new UsageError(`bench: unknown option ${unknown.join(' ')}; the options are ${known.join(', ')}`);
  }
  const selected = SCENARIOS.filter((s) => !s.flag || argv.includes(s.flag));
  return { quick: argv.includes('--quick'), selected };
}

async function main(): Promise<void> {
  const { quick, selected } = parseFlags(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const host = machine();
  const results = new Results();
  const run: RunInfo = await withBench(quick, async (bench) => {
    for (const s of selected) results.set(s, await s.run(bench, results));
    return {
      startedAt,
      quick,
      machine: host,
      loadAfter: loadAverage(),
      totalSeconds: (performance.now() - t0) / 1000,
    };
  });
  const { part, phases } = summary(results);
  const parts = [part, ...selected.map((s) => s.report(results.get(s)))];
  const figures = {
    counts: countsFor(quick),
    startConcurrency: START_CONCURRENCY,
    ...results.toJSON(),
    memory: phases,
    gcExposed: gc !== undefined,
    targets: parts.flatMap((p) => p.targets ?? []),
  };
  writeReport(run, markdown(run, parts), figures);
  // The CI smoke fails when a gate (every contract succeeded) is missed; a full run reports it.
  const missed = figures.targets.find((t) => t.gate && !t.met);
  if (quick && missed) throw new Error(`${missed.measure}: ${missed.value} (target ${missed.target})`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
