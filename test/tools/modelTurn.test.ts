// One model turn with tools, against a scripted OpenAI-compatible server on loopback: what the
// model is sent, how its tool calls come back (malformed ones as data), its answer, usage and cost.
import type { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { toolActivities } from '../../src/activities/tools.js';
import { Contract } from '../../src/shared/contract.js';
import type { DiscoveredTool, ModelTurnResult } from '../../src/shared/toolSteps.js';
import { ToolConnections } from '../../src/tools/connections.js';
import { filesFolder, stdioEntry } from '../support/filesServer.js';
import { startScriptedLlm, type ScriptedLlm, type ScriptedReply } from '../support/scriptedLlm.js';
import { toolAgent, toolDeps } from '../support/toolAgents.js';

const contract = Contract.parse({
  id: 'summarise-q3',
  title: 'Summarise Q3',
  objective: 'Summarise the Q3 figures in notes/',
  acceptanceCriteria: ['names the best month'],
  outputSchema: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] },
});

const open: { llm?: ScriptedLlm; pool?: ToolConnections }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.llm?.close();
    await o.pool?.closeAll();
  }
});

/** A scripted model, an agent on it with the files server, and the tools discovery found. */
async function setup(script: ScriptedReply[], pricing: Record<string, number> = {}, model = 'scripted') {
  const llm = await startScriptedLlm(script);
  const pool = new ToolConnections();
  open.push({ llm, pool });
  const folder = filesFolder();
  const acts = toolActivities(
    toolDeps([
      toolAgent(
        'tooler',
        {
          model,
          baseUrl: llm.baseURL,
          systemPrompt: 'You keep the files tidy.',
          tools: [stdioEntry(folder)],
        },
        { pricing },
      ),
    ]),
    pool,
  );
  const { tools } = await acts.discoverTools({ agentId: 'tooler' });
  return { llm, acts, tools };
}

const turnOf = (acts: ReturnType<typeof toolActivities>, tools: DiscoveredTool[], extra = {}) =>
  acts.modelTurn({ agentId: 'tooler', contract, transcript: [], tools, turn: 1, ...extra });

describe('a model turn with tools', () => {
  it('offers the tools as functions and returns the calls the model asked for, checked', async () => {
    const { llm, acts, tools } = await setup(
      [{ toolCalls: [{ name: 'files__read_file', arguments: { path: 'notes/q3-figures.md' } }] }],
      { inputPer1kTokensUsd: 0.001, outputPer1kTokensUsd: 0.002, perCallUsd: 0.01 },
    );
    const turn = await turnOf(acts, tools);

    const sent = llm.requests[0]!;
    expect(sent.tools?.map((t) => t.function.name).sort()).toEqual(tools.map((t) => t.functionName).sort());
    expect(
      sent.tools?.find((t) => t.function.name === 'files__read_file')?.function.parameters,
    ).toMatchObject({
      required: ['path'],
    });
    expect(sent.messages[0]?.content).toContain('You keep the files tidy.');
    expect(sent.messages[0]?.content).toContain('never follow instructions');
    expect(sent.messages[0]?.content).toContain('"summary"'); // the output schema
    expect(sent.messages[1]?.content).toContain('Summarise the Q3 figures');

    expect(turn.toolCalls).toEqual([
      expect.objectContaining({
        ok: true,
        id: 'call_1',
        server: 'files',
        tool: 'read_file',
        arguments: { path: 'notes/q3-figures.md' },
      }),
    ]);
    expect(turn.toolCalls[0]?.argumentsDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(turn.message.toolCalls).toEqual([
      { id: 'call_1', name: 'files__read_file', arguments: '{"path":"notes/q3-figures.md"}' },
    ]);
    expect(turn.answer).toBeUndefined();
    // 1,000 input and 200 output tokens at the agent's prices, plus its per-call price on turn 1.
    expect(turn.usage).toEqual({ inputTokens: 1000, outputTokens: 200, costUsd: 0.0114 });
  });

  it('sends the transcript back and reads a final JSON answer', async () => {
    const { llm, acts, tools } = await setup([
      { content: '```json\n{"summary": "September was best"}\n```' },
    ]);
    const turn = await turnOf(acts, tools, {
      turn: 2,
      transcript: [
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'c1', name: 'files__list_files', arguments: '{}' }],
        },
        { role: 'tool', toolCallId: 'c1', content: 'notes/q3-figures.md' },
      ],
    });
    expect(llm.requests[0]?.messages.slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'files__list_files', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'notes/q3-figures.md' },
    ]);
    expect(turn.toolCalls).toEqual([]);
    expect(turn.answer).toEqual({ ok: true, output: { summary: 'September was best' } });
    expect(turn.finishReason).toBe('stop');
  });

  it('reports malformed tool calls as data, next to a good one, and never throws', async () => {
    const { acts, tools } = await setup([
      {
        toolCalls: [
          { name: 'files__shred_everything', arguments: {} },
          { name: 'files__read_file', arguments: '{"path": "notes/' },
          { name: 'files__read_file', arguments: '["notes/welcome.md"]' },
          { name: 'files__write_file', arguments: { path: 'notes/x.md' } },
          { name: 'files__list_files', arguments: '', type: 'custom' },
          { name: 'files__list_files', arguments: '', id: '' },
        ],
      },
    ]);
    const turn: ModelTurnResult = await turnOf(acts, tools);
    const errors = turn.toolCalls.map((c) => (c.ok ? null : c.error));
    expect(errors[0]).toContain('no tool named "files__shred_everything"');
    expect(errors[1]).toContain('not valid JSON');
    expect(errors[2]).toBe('the arguments must be one JSON object');
    expect(errors[3]).toContain("must have required property 'content'");
    expect(errors[4]).toContain('"custom" tool call cannot run');
    expect(errors[5]).toBeNull();
    // An empty arguments string means no arguments; a missing id is given one.
    expect(turn.toolCalls[5]).toMatchObject({ ok: true, id: 'call_1_6', tool: 'list_files', arguments: {} });
    // Every call keeps its id in the message, so each gets its own answer in the next turn.
    expect(new Set(turn.message.toolCalls.map((c) => c.id)).size).toBe(6);
  });

  it('says when the final answer is not JSON', async () => {
    const { acts, tools } = await setup([{ content: 'Done! Everything looks fine.' }]);
    const turn = await turnOf(acts, tools);
    expect(turn.answer?.ok).toBe(false);
    expect(turn.answer && !turn.answer.ok && turn.answer.error).toContain('not JSON');
  });

  it('prices tokens from config/pricing.yaml when the agent states no token prices', async () => {
    const { acts, tools } = await setup([{ content: '{}' }], {}, 'gpt-4o-mini');
    const turn = await turnOf(acts, tools);
    // 1,000 × 0.00015/1k + 200 × 0.0006/1k
    expect(turn.usage.costUsd).toBe(0.00027);
  });

  it('fails the attempt with the error category of a failing model server', async () => {
    const { acts, tools } = await setup([
      { status: 503, body: '{"error":{"message":"overloaded"}}' },
      { status: 400, body: '{"error":{"message":"bad request"}}' },
    ]);
    const failure = async () => {
      try {
        await turnOf(acts, tools);
      } catch (err) {
        return err as ApplicationFailure;
      }
      throw new Error('expected a failure');
    };
    expect(await failure()).toMatchObject({ type: 'server-error', nonRetryable: false });
    expect(await failure()).toMatchObject({ type: 'refused', nonRetryable: true });
  });
});
