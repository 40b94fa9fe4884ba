// The Temporal SDK runtime for the commands that run a worker (`worker`, `dev`, `demo`).
import { constants } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';

/** The SDK's default shutdown signals: the first one shuts the workers down gracefully. */
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'] as const;

/**
 * Quiet SDK logs for interactive commands (ARBITER_LOG_LEVEL=INFO brings them back), and a
 * shutdown that stays graceful.
 */
export function installRuntime(defaultLevel: 'WARN' | 'INFO'): void {
  const level = (process.env.ARBITER_LOG_LEVEL ?? defaultLevel) as 'WARN' | 'INFO' | 'DEBUG' | 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
  keepShutdownGraceful();
}

let installed = false;

/**
 * The SDK removes its signal listeners at the first signal and then shuts the workers down. A
 * library that re-raises a signal when it finds itself the last listener (signal-exit, which the
 * local model runtime loads) would then kill the process in the middle of that shutdown, leaving
 * the dev server running. This listener stays, so the first signal always gets the graceful
 * shutdown; a second one ends the process at once (the dev server is stopped on exit).
 */
function keepShutdownGraceful(): void {
  if (installed) return;
  installed = true;
  let signalled = false;
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => {
      if (!signalled) {
        signalled = true;
        return;
      }
      process.stderr.write(`arbiter: ${signal} again: stopping now\n`);
      process.exit(128 + constants.signals[signal]);
    });
  }
}
