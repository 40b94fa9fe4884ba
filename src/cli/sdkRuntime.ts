// The Temporal SDK runtime for the commands that run a worker (`worker`, `dev`, `demo`).
import { DefaultLogger, Runtime } from '@temporalio/worker';

/** Quiet SDK logs for interactive commands; ARBITER_LOG_LEVEL=INFO brings them back. */
export function installRuntime(defaultLevel: 'WARN' | 'INFO'): void {
  const level = (process.env.ARBITER_LOG_LEVEL ?? defaultLevel) as 'WARN' | 'INFO' | 'DEBUG' | 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
}
