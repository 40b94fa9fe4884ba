// `arbiter`: a thin command line over the client library. Every user mistake becomes a clear
// message and SPEC §3's exit code; a stack trace only with ARBITER_DEBUG=1. Startup loads commander
// and the command surface alone (./program.ts): each command imports what it needs when it runs.
import { CommanderError } from 'commander';
import { ArbiterError, EXIT } from '../shared/errors.js';
import { buildProgram } from './program.js';

async function configuredAddress(): Promise<string> {
  try {
    const { addressOf, loadConfig } = await import('../config/settings.js');
    return addressOf(loadConfig());
  } catch {
    return 'the configured Temporal server';
  }
}

async function fail(err: unknown): Promise<number> {
  if (err instanceof CommanderError) {
    // Help and version are exit 0; a wrong flag or a missing argument is bad input.
    return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
  if (!(err instanceof ArbiterError)) {
    // Connecting failed early is already an ArbiterError; this is the server dying mid-command,
    // which is the same situation for the user (exit 3, how to start one), not an internal error.
    const { isUnavailable } = await import('./unavailable.js');
    if (isUnavailable(err)) {
      const { unreachable } = await import('../config/connection.js');
      err = unreachable(await configuredAddress(), err);
    }
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
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = await fail(err);
}
