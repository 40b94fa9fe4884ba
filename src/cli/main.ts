// `arbiter`: a thin command line over the client library. Every user mistake becomes a clear
// message and SPEC §3's exit code; a stack trace only with ARBITER_DEBUG=1.
import { Command, CommanderError } from 'commander';
import { addressOf, loadConfig } from '../config/settings.js';
import { unreachable } from '../config/connection.js';
import { ArbiterError, EXIT } from '../shared/errors.js';
import { registerAgents } from './commands/agents.js';
import { addAuditSubcommands, registerAuditTools } from './commands/auditTools.js';
import { registerCheck } from './commands/check.js';
import { registerCodecServer } from './commands/codecServer.js';
import { registerDemo } from './commands/demo.js';
import { registerMetrics } from './commands/metrics.js';
import { registerRate } from './commands/rate.js';
import { registerReads } from './commands/read.js';
import { registerReview } from './commands/review.js';
import { registerStack } from './commands/stack.js';
import { registerSubmit } from './commands/submit.js';
import { registerWhatIf } from './commands/whatif.js';
import { isUnavailable } from './unavailable.js';

const program = new Command('arbiter')
  .description('Policy-governed orchestration of AI agents on Temporal')
  .version('0.2.0')
  .showHelpAfterError('(run `arbiter --help` for the command list)')
  .exitOverride();

registerDemo(program);
registerStack(program);
registerSubmit(program);
registerReads(program);
registerReview(program);
registerCheck(program);
registerAgents(program);
registerAuditTools(program);
addAuditSubcommands(program.commands.find((c) => c.name() === 'audit')!);
registerMetrics(program);
registerRate(program);
registerWhatIf(program.commands.find((c) => c.name() === 'policy')!);
registerCodecServer(program);

function configuredAddress(): string {
  try {
    return addressOf(loadConfig());
  } catch {
    return 'the configured Temporal server';
  }
}

function fail(err: unknown): number {
  // Connecting failed early is already an ArbiterError; this is the server dying mid-command,
  // which is the same situation for the user (exit 3, how to start one), not an internal error.
  if (!(err instanceof ArbiterError) && isUnavailable(err)) err = unreachable(configuredAddress(), err);
  if (err instanceof CommanderError) {
    // Help and version are exit 0; a wrong flag or a missing argument is bad input.
    return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (err instanceof ArbiterError) {
    process.stderr.write(`arbiter: ${err.toUserText()}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`arbiter: unexpected error: ${e.message}\n`);
  if (process.env.ARBITER_DEBUG) process.stderr.write(`${e.stack ?? ''}\n`);
  else process.stderr.write('(set ARBITER_DEBUG=1 for details)\n');
  return EXIT.failed;
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = fail(err);
}
