import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { withClient, exitCodeOf } from '../context.js';
import { printJson, stateLines, uiBaseFromEnv, webUiLink } from '../output.js';
import { loadSubmission } from '../../shared/load.js';
import { ArbiterError, badInput } from '../../shared/errors.js';
import { parseDuration } from '../../shared/duration.js';
import { Slug } from '../../shared/contract.js';
import type { RunState } from '../../client.js';

interface SubmitOptions {
  file?: string;
  prompt?: string;
  id?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

export function registerSubmit(program: Command): void {
  program
    .command('submit')
    .description('start a contract or plan from a file; the same id twice returns the same run')
    .option('--file <file>', 'a contract or plan (YAML or JSON)')
    .option('--prompt <text>', 'a request in words (needs contract generation)')
    .option('--id <id>', 'use this id instead of the one in the file')
    .option('--wait', 'wait for the outcome (exit 0 succeeded, 1 failed or rejected)')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 4 if awaiting review)')
    .option('--json', 'print one JSON document')
    .action(async (opts: SubmitOptions) => {
      process.exitCode = await submit(opts);
    });
}

async function submit(opts: SubmitOptions): Promise<number> {
  if (opts.prompt !== undefined) {
    throw new ArbiterError(
      'NOT_SUPPORTED',
      '--prompt needs contract generation, which this build does not include',
      ['write the contract as YAML and use --file'],
    );
  }
  if (!opts.file) throw badInput('submit needs --file FILE (a contract in YAML or JSON)');
  const timeoutMs = opts.timeout ? parseDuration(opts.timeout) : undefined;
  if (opts.timeout && timeoutMs === undefined)
    throw badInput(`--timeout "${opts.timeout}" is not a duration (e.g. 30s, 5m, PT1H)`);
  const submission = loadSubmission(opts.file);
  if (opts.id !== undefined) {
    const id = Slug.safeParse(opts.id);
    if (!id.success) throw badInput(`--id "${opts.id}": ${id.error.issues[0]?.message ?? 'not a slug'}`);
    if (submission.kind === 'plan') submission.plan.id = id.data;
    else submission.contract.id = id.data;
  }
  return withClient(async (arbiter) => {
    const submitted =
      submission.kind === 'plan'
        ? await arbiter.processPlan(submission.plan)
        : await arbiter.processContract(submission.contract);
    const link = webUiLink(uiBaseFromEnv(), arbiter.config.namespace, submitted.workflowId);
    if (!opts.json) {
      process.stderr.write(
        submitted.started
          ? `started ${submitted.workflowId}\n`
          : `${submitted.workflowId} already exists: showing that run (an id runs once)\n`,
      );
      process.stderr.write(`Web UI: ${link}\n`);
    }
    if (!opts.wait) {
      if (opts.json) printJson({ ...submitted, webUi: link });
      return 0;
    }
    const result = arbiter.result(submitted.workflowId);
    let state: RunState;
    if (timeoutMs === undefined) {
      state = await result;
    } else {
      const timedOut = Symbol('timeout');
      const first = await Promise.race([result, sleep(timeoutMs, timedOut)]);
      state = first === timedOut ? await arbiter.status(submitted.workflowId) : first;
    }
    if (opts.json) printJson({ ...state, started: submitted.started, webUi: link });
    else process.stdout.write(`${stateLines(state).join('\n')}\n`);
    return exitCodeOf(state);
  });
}
