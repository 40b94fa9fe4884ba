// What a scenario module is: a measurement the orchestrator (bench/run.ts) runs on the shared
// bench, whose result is kept (and written to the JSON file) under its key and described in the
// report by its `report`.
import type { Part } from '../report.js';
import type { Bench } from './bench.js';

export interface Scenario<R = unknown> {
  /** Its result's key in bench/results/<timestamp>.json. */
  key: string;
  /** Runs only when this flag is given (`--cluster`); without one it runs in every run. */
  flag?: string;
  /** Measures; earlier scenarios' results (the S it is compared with, say) are in `results`. */
  run(bench: Bench, results: Results): Promise<R>;
  /** Its rows and tables in the report, and its own targets. */
  report(result: R): Part;
}

/** The results of the scenarios run so far, each found by its scenario. */
export class Results {
  private readonly byKey = new Map<string, unknown>();

  set<R>(scenario: Scenario<R>, result: R): void {
    this.byKey.set(scenario.key, result);
  }

  get<R>(scenario: Scenario<R>): R {
    if (!this.byKey.has(scenario.key)) throw new Error(`bench: scenario ${scenario.key} has not run`);
    return this.byKey.get(scenario.key) as R;
  }

  toJSON(): Record<string, unknown> {
    return Object.fromEntries(this.byKey);
  }
}
