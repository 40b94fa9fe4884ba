// The command surface of `arbiter`: every command with its arguments, options and help, and
// nothing else. This module imports only commander: each action imports its implementation from
// ./commands/ when it runs, so `--help`, `check`, `status`, `reviews` and `approve` never load the
// local model runtime, Cedar (unless `check` is given a policy folder), OpenTelemetry, Prometheus
// or the Temporal worker. `scripts/load-trace.mjs` shows what a command loads.
import { Command } from 'commander';
import { WHAT_IF_LAST } from './defaults.js';
import type { AuditExportOptions } from './commands/auditTools.js';
import type { CodecServerOptions } from './commands/codecServer.js';
import type { RateOptions } from './commands/rate.js';
import type { AnswerOptions, ApproveOptions, RejectOptions } from './commands/review.js';
import type { SubmitOptions } from './commands/submit.js';
import type { WhatIfOptions } from './commands/whatif.js';

/** `--json` on read commands. */
interface Json {
  json?: boolean;
}

export function buildProgram(): Command {
  const program = new Command('arbiter')
    .description('Policy-governed orchestration of AI agents on Temporal')
    .version('0.2.0')
    .showHelpAfterError('(run `arbiter --help` for the command list)')
    .exitOverride();

  addRunCommands(program);
  addReadCommands(program);
  addReviewCommands(program);
  addToolCommands(program);
  return program;
}

/** Running Arbiter and starting work: demo, dev, worker, submit. */
function addRunCommands(program: Command): void {
  program
    .command('demo')
    .description(
      'start the embedded stack, run the sample contracts with one human review, print the results',
    )
    .option('--keep', 'keep the stack running afterwards, to browse the Web UI (Ctrl-C stops it)')
    .action(async (opts: { keep?: boolean }) => (await import('./commands/demo.js')).demo(opts));

  program
    .command('dev')
    .description('run the embedded stack: Temporal server + Web UI + worker, until Ctrl-C')
    .action(async () => (await import('./commands/dev.js')).dev());

  program
    .command('worker')
    .description('run a worker against TEMPORAL_ADDRESS (more workers = more capacity)')
    .action(async () => (await import('./commands/worker.js')).worker());

  program
    .command('submit')
    .description('start a contract or plan from a file; the same id twice returns the same run')
    .option('--file <file>', 'a contract, plan or enhancement-areas file (YAML or JSON)')
    .option('--prompt <text>', 'a request in words: the LLM turns it into a plan')
    .option('--id <id>', 'use this id instead of the one in the file')
    .option('--wait', 'wait for the outcome (exit 0 succeeded, 1 failed or rejected)')
    .option('--timeout <duration>', 'with --wait: give up after this long (exit 4 if awaiting review)')
    .option('--json', 'print one JSON document')
    .action(async (opts: SubmitOptions) => {
      process.exitCode = await (await import('./commands/submit.js')).submit(opts);
    });
}

/** Reading and steering work in flight: status, audit, cancel. */
function addReadCommands(program: Command): void {
  program
    .command('status <id>')
    .description('state of a plan or contract: per-contract route, agent, outcome, cost')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: Json) => (await import('./commands/read.js')).status(id, opts));

  const audit = program
    .command('audit <id>')
    .description('the decision trail: classification, policy, agent, attempts, review, validation, cost')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: Json) => (await import('./commands/read.js')).audit(id, opts));
  addAuditTools(audit, 'export', 'verify <file>');

  program
    .command('cancel <id>')
    .description('cancel a plan or contract; running contracts are told, and the trail records it')
    .option('--reason <text>', 'why', 'cancelled from the command line')
    .option('--as <who>', 'who cancels (default: ARBITER_REVIEWER or the OS user)')
    .action(async (id: string, opts: { reason: string; as?: string }) =>
      (await import('./commands/read.js')).cancel(id, opts),
    );
}

/** People in the loop: reviews, approve, answer, reject. */
function addReviewCommands(program: Command): void {
  program
    .command('reviews')
    .description('contracts waiting for a human, with why and the deadline')
    .option('--json', 'print one JSON document')
    .action(async (opts: Json) => (await import('./commands/review.js')).reviews(opts));

  program
    .command('approve <id>')
    .description('approve a contract waiting for review')
    .option('--agent <agent>', 'the agent to use, among those policy permits')
    .option('--reason <text>', 'why')
    .option('--as <reviewer>', 'who approves (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: ApproveOptions) =>
      (await import('./commands/review.js')).approve(id, opts),
    );

  program
    .command('answer <id>')
    .description("answer an agent's question (an A2A agent waiting for input): the text goes back to it")
    .requiredOption('--text <text>', 'the answer the agent gets')
    .option('--as <reviewer>', 'who answers (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: AnswerOptions) =>
      (await import('./commands/review.js')).answer(id, opts),
    );

  program
    .command('reject <id>')
    .description('reject a contract waiting for review (a reason is required)')
    .option('--reason <text>', 'why (required)')
    .option('--as <reviewer>', 'who rejects (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: RejectOptions) =>
      (await import('./commands/review.js')).reject(id, opts),
    );
}

/** Checking files and policies, the agent registry, audit exports, metrics and the codec server. */
function addToolCommands(program: Command): void {
  program
    .command('check <path>')
    .description(
      'validate a contract, plan, areas, agents or reviewers file, or a policy folder, without starting anything',
    )
    .option('--json', 'print one JSON document')
    .action(async (path: string, opts: Json) => (await import('./commands/check.js')).check(path, opts));

  const policy = program.command('policy').description('policy tools');
  policy
    .command('check [dir]')
    .description('validate a policy folder strictly against its schema')
    .option('--json', 'print one JSON document')
    .action(async (dir: string | undefined, opts: Json) =>
      (await import('./commands/check.js')).policyCheck(dir, opts),
    );
  policy
    .command('what-if <dir>')
    .description(
      'replay recorded decisions under the policy set in DIR and list the routes that would change',
    )
    .option('--last <n>', `how many of the most recently closed contracts (default ${WHAT_IF_LAST})`)
    .option('--json', 'print one JSON document')
    .action(async (dir: string, opts: WhatIfOptions) =>
      (await import('./commands/whatif.js')).printWhatIf(dir, opts),
    );

  const agents = program
    .command('agents')
    .description('registry: capabilities, measured trust, success rate, latency p50/p95, cost, circuit state')
    .option('--json', 'print one JSON document')
    .action(async (opts: Json) => (await import('./commands/agents.js')).agents(opts));
  agents
    .command('import <cardUrl>')
    .description("print an agents.yaml entry suggested from an A2A agent's Agent Card (review it)")
    .option('--write <file>', 'append the entry to this agents file, after validating the whole file')
    .action(async (cardUrl: string, opts: { write?: string }) =>
      (await import('./commands/agentsImport.js')).agentsImport(cardUrl, opts),
    );

  // The same tools as `audit export` / `audit verify`, under names that read as one word.
  addAuditTools(program, 'audit-export', 'audit-verify <file>');

  program
    .command('metrics')
    .description(
      'throughput, latency, success rate, errors by category, policy compliance, audit completeness, satisfaction, cost, resource use',
    )
    .option('--since <time>', 'only contracts closed since an ISO time or a duration ago (24h, 7d)')
    .option(
      '--worker-metrics <url>',
      "a worker's Prometheus endpoint for its CPU and memory (default: this machine's, ARBITER_METRICS_PORT)",
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: { since?: string; workerMetrics?: string; json?: boolean }) =>
      (await import('./commands/metrics.js')).printMetrics(opts),
    );

  program
    .command('rate <id>')
    .description("rate a contract's result from 1 to 5 (reported as user satisfaction by `arbiter metrics`)")
    .requiredOption('--score <n>', 'a whole number from 1 (poor) to 5 (excellent)')
    .option('--comment <text>', 'why')
    .option('--as <who>', 'who rates (default: ARBITER_REVIEWER or the OS user)')
    .option('--json', 'print one JSON document')
    .action(async (id: string, opts: RateOptions) =>
      (await import('./commands/rate.js')).printRate(id, opts),
    );

  program
    .command('codec-server')
    .description(
      'serve /encode and /decode for the Temporal Web UI (payloads encrypted with ARBITER_CODEC_KEYS)',
    )
    .option('--port <port>', 'port to listen on', '8888')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--origin <url...>',
      'browser origin(s) allowed to call it (default: the Web UI the CLI links to, ARBITER_UI_URL or the server port + 1000)',
    )
    .option('--insecure-no-auth', 'serve without ARBITER_CODEC_TOKEN (trusted local network only)')
    .action(async (opts: CodecServerOptions) =>
      (await import('./commands/codecServer.js')).codecServer(opts),
    );
}

/** `export` and `verify` of audit exports, under `group` with the given command names. */
function addAuditTools(group: Command, exportName: string, verifyName: string): void {
  group
    .command(exportName)
    .description('tamper-evident (hash-chained) JSONL of closed contracts, for compliance')
    .option('--since <time>', 'only contracts closed since an ISO time or a duration ago (24h, 7d)')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (opts: AuditExportOptions) => (await import('./commands/auditTools.js')).auditExport(opts));
  group
    .command(verifyName)
    .description('check an audit export: exit 0 when intact, 1 at the first altered line')
    .action(async (file: string) => (await import('./commands/auditTools.js')).auditVerify(file));
}
