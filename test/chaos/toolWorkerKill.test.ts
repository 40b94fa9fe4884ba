// kill -9 of a real worker process in the middle of a tool loop, after a tool call completed and
// while the next model turn is in flight: another worker process replays the recorded steps and
// goes on from the turn. The MCP server saw the call once (its journal), and the contract completes.
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  activityStarts,
  connectArbiter,
  connectClient,
  dataContract,
  killAllStartedWorkers,
  startPollingWorker,
  unique,
  writeAgents,
  type ChaosEnv,
} from '../../chaos/cases/harness.js';
import {
  filesFolder,
  journalOf,
  startHttpFilesServer,
  type HttpFilesServer,
} from '../support/filesServer.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scriptedLlm.js';
import { toolAgent } from '../support/toolAgents.js';

let llm: ScriptedLlm | undefined;
let files: HttpFilesServer | undefined;
afterEach(async () => {
  await killAllStartedWorkers();
  await llm?.close();
  await files?.close();
  llm = files = undefined;
});

describe('tool loop, worker killed between a tool call and the next turn', () => {
  it('kill -9 while turn 2 runs: the completed call is not repeated and the contract completes', async () => {
    const env: ChaosEnv = { address: inject('temporalAddress'), log: () => undefined };
    const folder = filesFolder();
    files = await startHttpFilesServer(folder);
    llm = await startScriptedLlm([
      { toolCalls: [{ name: 'files__read_file', arguments: { path: 'notes/welcome.md' } }] },
      // Turn 2 never answers on the first worker: it dies with the turn in flight.
      { hold: true },
      { content: JSON.stringify({ summary: 'read the welcome note', criteria: ['lists the metrics'] }) },
    ]);
    const taskQueue = unique('tool-kill');
    const agentsFile = writeAgents(
      JSON.stringify({
        agents: [
          toolAgent(
            'librarian',
            { baseUrl: llm.baseURL, tools: [{ id: 'files', url: files.url }] },
            { capabilities: { domains: ['data', 'general'] }, timeout: '60s' },
          ),
        ],
      }),
    );
    const { client, connection } = await connectClient(env);
    const arbiter = await connectArbiter(env, taskQueue);
    try {
      const a = await startPollingWorker(env, client, { taskQueue, agentsFile });
      const { workflowId } = await arbiter.submitContract(dataContract(unique('tool-kill').slice(0, 60)));
      // Turn 2 is only scheduled once the tool call's result is in the history.
      await llm.received(2);
      expect(journalOf(folder).map((j) => j.tool)).toEqual(['read_file']);
      a.kill('SIGKILL');
      expect((await a.exited).signal).toBe('SIGKILL');
      const b = await startPollingWorker(env, client, { taskQueue, agentsFile });
      const state = await arbiter.contractResult(workflowId);
      b.kill('SIGTERM');
      await b.exited;

      expect(state.outcome).toBe('SUCCEEDED');
      expect(state.output).toEqual({ summary: 'read the welcome note', criteria: ['lists the metrics'] });
      // The MCP server saw the call once: the second worker did not run it again.
      expect(journalOf(folder).map((j) => [j.tool, j.replayed])).toEqual([['read_file', false]]);
      const starts = await activityStarts(client, workflowId);
      expect(starts.callTool).toBe(1);
      // Turn 2 ran again on the second worker, with the recorded tool result in its conversation.
      expect(starts.modelTurn).toBeGreaterThanOrEqual(2);
      expect(llm.requests).toHaveLength(3);
      expect(llm.requests[2]?.messages.find((m) => m.role === 'tool')?.content).toContain('# Welcome');
      expect(state.trail.filter((e) => e.kind === 'tool-called')).toHaveLength(1);
      expect(state.trail.filter((e) => e.kind === 'model-turn').map((e) => e.summary)).toHaveLength(2);
    } finally {
      await arbiter.close();
      await connection.close();
    }
  }, 240_000);
});
