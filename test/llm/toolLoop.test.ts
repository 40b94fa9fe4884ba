// The tool loop on the real local model (SmolLM2-135M behind the embedded OpenAI-compatible
// server, tools as a JSON-schema grammar) against the real MCP files server. A model this small
// calls tools unreliably, so this asserts only what the loop guarantees whatever the model does:
// it ends with a recorded outcome, and every turn and tool decision it made is in the trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Arbiter } from '../../src/client.js';
import { startLocalModelServer, type LocalModelServer } from '../../src/llm/localServer.js';
import { localModelPath } from '../../src/llm/modelPath.js';
import { loadContract } from '../../src/config/files.js';
import type { ContractState } from '../../src/shared/decision.js';
import { filesFolder, stdioEntry } from '../support/filesServer.js';
import { agentsFile, repoFile, testConfig, withWorker } from '../support/temporal.js';
import { toolAgent } from '../support/toolAgents.js';

let model: LocalModelServer;

beforeAll(async () => {
  const modelPath = localModelPath();
  if (!modelPath) throw new Error('the local model is not provisioned: run `node scripts/setup.mjs`');
  model = await startLocalModelServer({ port: 0, modelPath });
}, 180_000);
afterAll(async () => {
  await model?.stop();
});

describe('the tool loop on the local model', () => {
  it('ends with a recorded outcome, its turns and decisions in the trail', async () => {
    const folder = filesFolder();
    const agent = toolAgent(
      'local-librarian',
      {
        baseUrl: model.baseURL,
        model: model.model,
        systemPrompt:
          'You tidy a notes folder. Read the welcome note notes/welcome.md, then delete the old draft drafts/old-draft.md, then answer with a summary.',
        tools: [stdioEntry(folder, { allow: ['read_file', 'delete_file'] })],
        maxTurns: 3,
      },
      { timeout: '5m', clearance: 'public', region: 'on-prem' },
    );
    const config = testConfig({ agentsFile: agentsFile(JSON.stringify({ agents: [agent] })) });
    // The demo's contract (examples/mcp/tidy-notes.yaml), as `arbiter demo` runs it.
    const contract = loadContract(repoFile('examples/mcp/tidy-notes.yaml'));
    contract.id = `${contract.id}-${Date.now().toString(36)}`;
    const arbiter = await Arbiter.connect(config);
    try {
      const state = await withWorker(config, async () => {
        const { workflowId } = await arbiter.submitContract(contract);
        // Whatever the model asks a person (a destructive call, or a retry after it failed), a
        // person declines: the loop and the contract must still end.
        const deadline = Date.now() + 600_000;
        for (;;) {
          const s: ContractState = await arbiter.contractStatus(workflowId);
          if (s.outcome) return arbiter.contractResult(workflowId);
          if (Date.now() > deadline) throw new Error(`${workflowId} did not end: ${s.status}`);
          if (s.status === 'awaiting-review') {
            await arbiter.review(workflowId, { decision: 'reject', reviewer: 'bob', reason: 'test' });
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      });
      console.info(state.trail.map((e) => `${e.step.padEnd(9)} ${e.summary}`).join('\n'));
      const kinds = state.trail.map((e) => e.kind);
      expect(kinds).toContain('tools-discovered');
      const turns = state.trail.filter((e) => e.kind === 'model-turn');
      expect(turns.length).toBeGreaterThanOrEqual(1);
      expect(turns.length).toBeLessThanOrEqual(3);
      // The attempt ended one way or the other, and the contract with it.
      expect(kinds.some((k) => k === 'agent-answered' || k === 'agent-failed')).toBe(true);
      expect(kinds.at(-1)).toBe('finished');
      expect(state.outcome).toMatch(/^(SUCCEEDED|FAILED|REJECTED)$/);
    } finally {
      await arbiter.close();
    }
  }, 900_000);
});
