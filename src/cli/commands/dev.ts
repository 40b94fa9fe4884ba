// `arbiter dev`: the embedded stack (Temporal dev server + Web UI, local model, worker) until Ctrl-C.
import { loadConfig } from '../../config/settings.js';
import { startStack } from '../../embedded/stack.js';
import { installRuntime } from '../sdkRuntime.js';

const log = (line: string) => process.stderr.write(`arbiter: ${line}\n`);

export async function dev(): Promise<void> {
  installRuntime('WARN');
  const stack = await startStack(loadConfig(), log);
  log(`ready: Temporal at ${stack.address}, Web UI at ${stack.uiUrl}. Ctrl-C stops everything.`);
  // The SDK's runtime turns SIGINT/SIGTERM into a worker shutdown; then the server stops.
  await stack.running;
  await stack.stop();
  log('stopped');
}
