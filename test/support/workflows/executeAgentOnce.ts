// A test workflow that runs the executeAgent activity once, as a real activity on a real worker
// (heartbeats, cancellation and all), and returns what it returned: the activity's own contract
// with the workflow, seen from outside.
import { proxyActivities } from '@temporalio/workflow';
import type { ExecuteRequest, ExecuteResult } from '../../../src/activities/execute.js';
import type { Activities } from '../../../src/activities/index.js';

const { executeAgent } = proxyActivities<Activities>({
  startToCloseTimeout: '60s',
  heartbeatTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

export async function executeAgentOnce(req: ExecuteRequest): Promise<ExecuteResult> {
  return executeAgent(req);
}
