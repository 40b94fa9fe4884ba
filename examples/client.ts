// Using Arbiter from your own code: start a contract and wait for its outcome.
//   TEMPORAL_ADDRESS=localhost:7233 npx tsx examples/client.ts [contract.yaml]
import { Arbiter } from '../src/client.js';
import { ArbiterError } from '../src/shared/errors.js';
import { loadContract } from '../src/config/files.js';

const file = process.argv[2] ?? new URL('./contracts/analytics-dashboard.yaml', import.meta.url).pathname;

try {
  const arbiter = await Arbiter.connect();
  try {
    const contract = loadContract(file);
    contract.id = `${contract.id}-${Date.now().toString(36)}`;
    const { workflowId } = await arbiter.submitContract(contract);
    console.log(`started ${workflowId}`);
    const state = await arbiter.contractResult(workflowId);
    console.log(
      `${state.outcome}: domain ${state.classification?.domain}, route ${state.decision?.route}, agent ${state.agentId}`,
    );
    process.exitCode = state.outcome === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await arbiter.close();
  }
} catch (err) {
  if (!(err instanceof ArbiterError)) throw err;
  console.error(err.toUserText());
  process.exitCode = err.exitCode;
}
