// The tool loop of an `openai` agent with tools: every model turn and every tool call is its own
// durable step, and policy, not the model, decides each call before it runs.
//
//   discover the tools (recorded) -> model turn -> for each call the model asks for:
//     malformed            -> the model is told what is wrong (the turn counts)
//     Cedar: ALLOW         -> the call runs (its own activity: timeout, retries, idempotency key)
//            HUMAN_REVIEW  -> a person decides (the contract's review chain); approved calls run
//            DENY          -> the model is told it was refused and why
//   -> the next turn, until the model answers (the attempt's output) or a bound is hit.
//
// A bound (maxTurns, maxToolCalls, the contract's budget, the size of a turn) ends the contract
// FAILED with the reason: a fallback agent would run past the same bound. Tool output is data: it
// goes back to the model only; decisions see what discovery recorded, the agent's measured
// standing and the loop's own counts. Temporal's history is what makes a completed call run once:
// a worker that dies mid-loop is replaced by one that replays the recorded steps and goes on from
// the step in flight.
import { ApplicationFailure } from '@temporalio/common';
import {
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { Selection, Usage } from '../../shared/decision.js';
import { failureCategory } from '../../shared/failures.js';
import {
  callToolTimeoutMs,
  jsonBytes,
  malformedMessage,
  MAX_TURN_INPUT_BYTES,
  refusedMessage,
  toolAttempts,
  toolCallKey,
  toolResultMessage,
} from '../../shared/toolCallRules.js';
import type {
  ChatMessage,
  DiscoveredTool,
  DiscoverToolsResult,
  ToolCallRequest,
  ToolDecision,
} from '../../shared/toolSteps.js';
import { AGENT_HEARTBEAT_MS, AGENT_RETRY } from './agentCall.js';
import type { Task } from './agents.js';
import { askPerson } from './review.js';
import type { ContractRun } from './run.js';

/** What a finished loop did, for the trail's agent-answered event. */
export interface LoopSummary {
  turns: number;
  toolCalls: number;
}

/** The loop hit a hard bound: the attempt fails with this reason, and so does the contract. */
export class LoopStopped extends ApplicationFailure {
  constructor(message: string) {
    super(message, 'limit-exceeded', true);
  }
}

/** Discovery connects to each server and lists its tools, each bounded by the server's timeout. */
const DISCOVER_TIMEOUT_MS = 120_000;
/** What a person is shown of the arguments of a call they decide. */
const REVIEW_ARGUMENTS_CHARS = 2_000;

// Every option is given per call (executeWithOptions); these only type the proxies.
const { discoverTools, modelTurn, callTool } = proxyActivities<Activities>({ startToCloseTimeout: '1m' });
/** Cedar in process: a local activity, as every governance step. */
const DECIDE = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 5 },
} as const;
const { decideToolCall } = proxyLocalActivities<Activities>(DECIDE);

const usd = (x: number) => `$${x.toFixed(4)}`;

export async function runToolLoop(
  run: ContractRun,
  selection: Selection,
  agentId: string,
  attemptId: string,
  task: Task,
): Promise<{ output: unknown; usage: Usage; latencyMs: number; loop: LoopSummary }> {
  const placement = selection.placement[agentId] ?? {};
  const remote = (summary: string, timeoutMs: number, queue?: string): ActivityOptions => ({
    startToCloseTimeout: timeoutMs,
    heartbeatTimeout: Math.min(AGENT_HEARTBEAT_MS, timeoutMs),
    retry: AGENT_RETRY,
    summary,
    ...(queue ? { taskQueue: queue } : {}),
  });
  const { label } = task;
  const found = await discoverTools.executeWithOptions(
    remote(`discover the tools of agent ${agentId}`, DISCOVER_TIMEOUT_MS),
    [{ agentId }],
  );
  run.record('tools-discovered', { agentId, label, ...found });
  const loop = new Loop(run, agentId, attemptId, task, found);
  const budget = run.contract.constraints.budgetUsd;
  const overBudget = () => budget !== undefined && run.state.usage.costUsd > budget;
  const { maxTurns } = found.bounds;

  for (let turn = 1; ; turn++) {
    const size = jsonBytes({ transcript: loop.transcript, tools: found.tools });
    if (size > MAX_TURN_INPUT_BYTES) {
      loop.stop(`the conversation grew to ${size} bytes, over the ${MAX_TURN_INPUT_BYTES} a turn may send`);
    }
    // The model is the agent: its turns run where the agent's calls run (its own queue, if limited).
    const res = await modelTurn.executeWithOptions(
      remote(`turn ${turn} of agent ${agentId}`, selection.timeoutsMs[agentId] ?? 30_000, placement.queue),
      [
        {
          agentId,
          contract: run.contract,
          ...(task.input !== undefined ? { input: task.input as never } : {}),
          transcript: loop.transcript,
          tools: found.tools,
          turn,
        },
      ],
    );
    loop.latencyMs += res.durationMs;
    loop.usage.inputTokens += res.usage.inputTokens;
    loop.usage.outputTokens += res.usage.outputTokens;
    loop.usage.costUsd += res.usage.costUsd;
    const answered = res.toolCalls.length === 0 && res.answer?.ok === true;
    const answerError = res.toolCalls.length === 0 && res.answer?.ok === false ? res.answer.error : undefined;
    run.record('model-turn', {
      agentId,
      label,
      turn,
      toolCalls: res.toolCalls.length,
      answered,
      ...(answerError !== undefined ? { answerError } : {}),
      finishReason: res.finishReason,
      usage: res.usage,
      durationMs: res.durationMs,
    });
    loop.transcript.push(res.message);
    if (res.answer?.ok && res.toolCalls.length === 0) {
      // An answer ends the loop even on the turn that crossed a bound: nothing more is spent.
      return {
        output: res.answer.output,
        usage: loop.usage,
        latencyMs: loop.latencyMs,
        loop: { turns: turn, toolCalls: loop.calls },
      };
    }
    // Going on needs another turn (and the calls asked for now are only read by one).
    if (turn >= maxTurns) {
      loop.stop(
        `agent ${agentId} gave no answer within maxTurns (${maxTurns})` +
          (res.toolCalls.length > 0
            ? `: its last turn asked for ${res.toolCalls.length} more tool call${res.toolCalls.length === 1 ? '' : 's'}`
            : `: ${answerError ?? 'no usable answer'}`),
      );
    }
    if (overBudget()) {
      loop.stop(
        `the contract's budget is spent: ${usd(run.state.usage.costUsd)} of ${usd(budget ?? 0)} after turn ${turn}`,
      );
    }
    if (res.toolCalls.length === 0) {
      loop.transcript.push({
        role: 'user',
        content: `Your answer could not be used: ${answerError ?? 'it was empty'}. Answer with one JSON value, or call a tool.`,
      });
      continue;
    }
    for (const call of res.toolCalls) loop.transcript.push(await loop.handle(call, turn));
  }
}

/** One loop's conversation, counts and the handling of each call the model asks for. */
class Loop {
  readonly transcript: ChatMessage[] = [];
  readonly usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  latencyMs = 0;
  /** Tool calls that ran (or were started): what maxToolCalls bounds. */
  calls = 0;
  private readonly tools: Map<string, DiscoveredTool>;

  constructor(
    private readonly run: ContractRun,
    private readonly agentId: string,
    private readonly attemptId: string,
    private readonly task: Task,
    private readonly found: DiscoverToolsResult,
  ) {
    this.tools = new Map(found.tools.map((t) => [`${t.server}/${t.name}`, t]));
  }

  stop(reason: string): never {
    throw new LoopStopped(reason);
  }

  /** Decides and (when permitted) runs one call; returns what the model is told about it. */
  async handle(call: ToolCallRequest, turn: number): Promise<ChatMessage> {
    const { run, agentId, task } = this;
    const { label } = task;
    if (!call.ok) {
      const { id: callId, functionName, argumentsDigest, error } = call;
      run.record('tool-malformed', { agentId, label, turn, callId, functionName, argumentsDigest, error });
      return malformedMessage(call);
    }
    const name = `${call.server}/${call.tool}`;
    const tool = this.tools.get(name);
    // modelTurn checks every call against the recorded tools; a call it let through must be one.
    if (!tool) return refusedMessage(call.id, [`${name} is not one of the tools offered.`]);
    const { maxToolCalls } = this.found.bounds;
    if (this.calls >= maxToolCalls) {
      this.stop(
        `agent ${agentId} asked for another tool call (${name}) after ${this.calls}, its maxToolCalls (${maxToolCalls})`,
      );
    }
    let decision = await this.decide(tool, call, turn, false);
    let approvedBy: string | undefined;
    if (decision.route === 'HUMAN_REVIEW') {
      const answer = await askPerson(run, {
        subject: 'tool-call',
        why: [
          `agent ${agentId} asks to call ${name} (turn ${turn}) with ${JSON.stringify(call.arguments).slice(0, REVIEW_ARGUMENTS_CHARS)}`,
          ...decision.explanation,
        ],
        permitted: [agentId],
        decided: {
          ...(decision.reviewWithinMs ? { reviewWithinMs: decision.reviewWithinMs } : {}),
          ...(run.reviewPolicy.reviewChain ? { reviewChain: run.reviewPolicy.reviewChain } : {}),
        },
      });
      if (answer.decision === 'reject') {
        const why =
          answer.via === 'timeout'
            ? 'Nobody answered the review of this call in time.'
            : `A person (${answer.reviewer}) declined it${answer.reason ? `: ${answer.reason}` : '.'}`;
        return refusedMessage(call.id, [why]);
      }
      approvedBy = answer.reviewer;
      // Decided again as approved: a review lifts a review policy, never a denial.
      decision = await this.decide(tool, call, turn, true);
    }
    if (decision.route !== 'ALLOW') return refusedMessage(call.id, decision.explanation);
    const budget = run.contract.constraints.budgetUsd;
    const spent = run.state.usage.costUsd;
    if (budget !== undefined && spent + tool.costPerCallUsd > budget) {
      // Enforced whatever the policies say: the budget is a bound, not a policy default.
      this.stop(
        `the contract's budget would be passed: ${usd(spent)} spent, ${name} costs ${usd(tool.costPerCallUsd)}, the budget is ${usd(budget)}`,
      );
    }
    this.calls += 1;
    return this.call(tool, call, turn, decision, approvedBy);
  }

  private async decide(
    tool: DiscoveredTool,
    call: Extract<ToolCallRequest, { ok: true }>,
    turn: number,
    reviewed: boolean,
  ): Promise<ToolDecision> {
    const { run, agentId, task } = this;
    const standing = run.standings.get(agentId);
    const spentUsd = run.state.usage.costUsd;
    const decision = await decideToolCall.executeWithOptions(
      {
        ...DECIDE,
        summary: `decide tool ${tool.server}/${tool.name} (turn ${turn})${reviewed ? ' after approval' : ''}`,
      },
      [
        {
          agentId,
          tool,
          contract: run.contract,
          classification: run.state.classification!,
          ...(task.role ? { role: task.role } : {}),
          ...(standing ? { standing } : {}),
          turn,
          toolCalls: this.calls,
          spentUsd,
          reviewed,
        },
      ],
    );
    run.record('tool-decided', {
      agentId,
      label: task.label,
      turn,
      callId: call.id,
      tool: decision.tool,
      argumentsDigest: call.argumentsDigest,
      route: decision.route,
      policyIds: decision.policyIds,
      explanation: decision.explanation,
      policyVersion: decision.policyVersion,
      reviewed,
      ...(standing ? { standing } : {}),
      ...(task.role ? { role: task.role } : {}),
      toolCallsBefore: this.calls,
      spentUsd,
    });
    return decision;
  }

  private async call(
    tool: DiscoveredTool,
    call: Extract<ToolCallRequest, { ok: true }>,
    turn: number,
    decision: ToolDecision,
    approvedBy: string | undefined,
  ): Promise<ChatMessage> {
    const { run, agentId, task } = this;
    const name = `${tool.server}/${tool.name}`;
    const base = { agentId, label: task.label, turn, callId: call.id, tool: name };
    const timeoutMs = callToolTimeoutMs(tool);
    try {
      const result = await callTool.executeWithOptions(
        {
          startToCloseTimeout: timeoutMs,
          heartbeatTimeout: Math.min(AGENT_HEARTBEAT_MS, timeoutMs),
          // Read-only and idempotent tools may be retried; any other runs at most once.
          retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: toolAttempts(tool) },
          summary: `tool ${name}: allowed by ${decision.policyIds.join(', ') || 'policy'}${approvedBy ? ` after ${approvedBy} approved` : ''}`,
        },
        [
          {
            agentId,
            server: tool.server,
            tool: tool.name,
            arguments: call.arguments,
            idempotencyKey: toolCallKey(this.attemptId, turn, call.id),
          },
        ],
      );
      run.record('tool-called', {
        ...base,
        bytes: result.bytes,
        truncated: result.truncated,
        isError: result.isError,
        durationMs: result.durationMs,
        costUsd: result.costUsd,
      });
      this.usage.costUsd += result.costUsd;
      return toolResultMessage(call.id, result);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The server could not be reached or did not answer: the model hears it, the loop goes on.
      // Its declared cost counts: the call may have run.
      const failed = failureCategory(err);
      const message =
        failed.category === 'timeout' ? `${name} did not answer within its timeout` : failed.message;
      run.record('tool-called', {
        ...base,
        bytes: 0,
        truncated: false,
        isError: true,
        durationMs: 0,
        costUsd: tool.costPerCallUsd,
        failed: message,
      });
      this.usage.costUsd += tool.costPerCallUsd;
      return {
        role: 'tool',
        toolCallId: call.id,
        content: `The call failed and may or may not have run: ${message}`,
      };
    }
  }
}
