// Probation through real contracts: an agent with too little measured evidence never gets
// confidential or PII work (Cedar policy `probation-limited`), while an agent that earned trust on
// this task queue does. Real workflows, real ledgers, real Cedar.
import type { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readStanding } from '../../src/governance/ledgers.js';
import type { Config } from '../../src/config/settings.js';
import { Contract, type DataClass } from '../../src/shared/contract.js';
import type { ContractState } from '../../src/shared/decision.js';
import type { contractWorkflow } from '../../src/workflows/index.js';
import { agentsFile, clientFor, testConfig, withWorker } from '../support/temporal.js';

const agent = (id: string) => `
  - id: ${id}
    description: test agent ${id}
    capabilities: { domains: [data, general] }
    endpoint: { kind: builtin, name: report }
    clearance: pii`;

let client: Client;
let connection: Connection;
let config: Config;
let n = 0;
// Decisions read the ledgers afresh every time: each contract sees every earlier outcome.
const link = { standingsTtlMs: 0 };

async function run(agents: string, dataClass: DataClass): Promise<ContractState> {
  const c = Contract.parse({
    id: `p${(n += 1)}`,
    title: 'Engagement metrics dashboard',
    objective: 'Design the analytics dashboard and its metrics for engagement data.',
    constraints: { dataClass },
  });
  return withWorker(
    { ...config, agentsFile: agentsFile(`agents:${agents}`) },
    () =>
      client.workflow.execute<typeof contractWorkflow>('contractWorkflow', {
        taskQueue: config.taskQueue,
        workflowId: `contract/probation-${Date.now().toString(36)}-${n}`,
        args: [{ contract: c }],
      }),
    link,
  );
}

beforeAll(async () => {
  config = testConfig();
  ({ client, connection } = await clientFor(config));
  // The veteran earns its standing the only way there is: five delivered contracts.
  for (let i = 0; i < 5; i++) expect((await run(agent('veteran'), 'internal')).agentId).toBe('veteran');
  // The ledger publishes what it applied (on a worker); wait until the standing decisions read shows it.
  await withWorker(config, () =>
    vi.waitFor(
      async () =>
        expect(await readStanding(client, config.taskQueue, 'veteran', Date.now())).toMatchObject({
          probation: false,
          outcomes: 5,
        }),
      { timeout: 60_000, interval: 250 },
    ),
  );
}, 300_000);
afterAll(async () => {
  await connection.close();
});

describe('an agent on probation', () => {
  it.each<DataClass>(['confidential', 'pii'])(
    'is refused %s work, which goes to the agent that earned trust',
    async (dataClass) => {
      const state = await run(agent('rookie') + agent('veteran'), dataClass);
      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.agentId).toBe('veteran');
      expect(state.attempts.map((a) => a.agentId)).toEqual(['veteran']);
      // Policy did not permit the rookie at all: it is not even a fallback.
      expect(state.decision?.fallbacks).toEqual([]);
    },
  );

  it.each<DataClass>(['confidential', 'pii'])(
    'alone: %s work is rejected by probation-limited, with the reason, and the agent never runs',
    async (dataClass) => {
      const state = await run(agent('rookie'), dataClass);
      expect(state.outcome).toBe('REJECTED');
      expect(state.status).toBe('rejected');
      expect(state.reason).toContain(
        'probation-limited: An agent on probation (too little measured evidence yet) only gets public or internal work.',
      );
      expect(state.attempts).toEqual([]);
    },
  );

  it('still gets internal work', async () => {
    const state = await run(agent('rookie'), 'internal');
    expect(state.outcome).toBe('SUCCEEDED');
    expect(state.agentId).toBe('rookie');
  });
});
