import { CancelledFailure, Context } from '@temporalio/activity';
import { Ajv } from 'ajv';
import type { Deps } from './deps.js';
import { runBuiltin } from '../agents/builtin.js';
import { agentFailure } from '../shared/failures.js';
import { runHttp } from '../agents/http.js';
import { runOpenAi } from '../agents/openai.js';
import { runA2a } from '../agents/a2a/run.js';
import type { A2aPending, A2aRemote, A2aReply } from '../agents/a2a/progress.js';
import type { AgentCall, AgentResult } from '../agents/types.js';
import type { Contract } from '../shared/contract.js';
import type { Usage } from '../shared/decision.js';
import { costOf } from '../shared/pricing.js';

export interface ExecuteRequest {
  contract: Contract;
  agentId: string;
  input?: unknown;
  /**
   * A2A agents only: a person's answer to the task an earlier call left `pending`. The text is
   * sent as the next message on task `taskId` (in `contextId`), and that task is followed to its
   * end as usual. A retried attempt that finds the task no longer waiting does not send it again.
   */
  reply?: A2aReply;
}

export interface ExecuteResult {
  /** The agent's answer; undefined when `pending` is set. */
  output: unknown;
  usage: Usage;
  latencyMs: number;
  /**
   * A2A agents only: the remote task waits for its client (`input-required`: the agent asks
   * `question`; `auth-required`: it needs credentials). The activity does not wait for a person:
   * the workflow asks one and calls executeAgent again with `reply` for the same `taskId`. Never a
   * silent retry: an unanswered task stays as it is.
   */
  pending?: A2aPending;
  /**
   * A2A agents only: the remote task behind this result, and each state it was seen in (with the
   * agent's timestamp when it gave one), so the trail can show the task id and its state changes.
   */
  remote?: A2aRemote;
}

const ajv = new Ajv({ allErrors: true, strict: false });
/** Largest agent output kept in a workflow history (Temporal's hard limit is 2 MB per payload). */
export const MAX_OUTPUT_BYTES = 1_000_000;
/** How often a running remote agent call heartbeats (well inside the workflow's heartbeat timeout). */
export const HEARTBEAT_EVERY_MS = 1_000;

/** The reason the SDK aborted the signal with (a CancelledFailure), or one naming the agent's error. */
function cancelledBy(signal: AbortSignal, err: unknown): CancelledFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledFailure) return reason;
  return new CancelledFailure(`cancelled while the agent call ran: ${(err as Error).message}`);
}

type Agent = AgentCall['agent'];
/** What the endpoint answered: a result, or (A2A) a remote task that waits for a person. */
type Answer =
  | { kind: 'result'; result: AgentResult; remote?: A2aRemote }
  | { kind: 'pending'; pending: A2aPending; remote: A2aRemote };

/** Calls the agent's endpoint once for this attempt. */
async function callEndpoint(
  ctx: Context,
  deps: Deps,
  call: AgentCall,
  reply: ExecuteRequest['reply'],
): Promise<Answer> {
  const { endpoint } = call.agent;
  switch (endpoint.kind) {
    case 'builtin':
      return { kind: 'result', result: runBuiltin(endpoint.name, call) };
    case 'openai':
      return { kind: 'result', result: await runOpenAi(call, deps.llm) };
    case 'http':
      return { kind: 'result', result: await runHttp(call) };
    case 'a2a': {
      const a2a = await runA2a(call, reply, {
        resumed: ctx.info.heartbeatDetails as unknown,
        heartbeat: (details) => ctx.heartbeat(details),
        // A cancelled contract usually closes before its next heartbeat could tell this
        // attempt "cancel requested"; the heartbeat then answers "not found". Both mean the
        // remote task is orphaned, so it is cancelled too.
        workAbandoned: () =>
          ctx.cancellationDetails?.cancelRequested === true || ctx.cancellationDetails?.notFound === true,
      });
      if (a2a.kind === 'pending') return { kind: 'pending', pending: a2a.pending, remote: a2a.remote };
      return { kind: 'result', result: { output: a2a.output }, remote: a2a.remote };
    }
  }
}

/** The answer as the contract records it: size-checked output, tokens and cost. */
function measured(agent: Agent, result: AgentResult): Pick<ExecuteResult, 'output' | 'usage'> {
  // Temporal refuses payloads near 2 MB and warns well before: an answer this big is refused
  // here, as the agent's fault, instead of failing the activity on the way into the history.
  const size = Buffer.byteLength(JSON.stringify(result.output ?? null));
  if (size > MAX_OUTPUT_BYTES) {
    throw agentFailure(
      'invalid-output',
      `output of ${size} bytes exceeds the ${MAX_OUTPUT_BYTES}-byte limit`,
    );
  }
  const inputTokens = result.usage?.inputTokens ?? 0;
  const outputTokens = result.usage?.outputTokens ?? 0;
  // An agent that reports its own cost is believed for the cost only; otherwise its pricing.
  const costUsd =
    result.usage?.costUsd ?? costOf(agent.pricing, { inputTokens, outputTokens }, agent.pricing.perCallUsd);
  return {
    output: result.output,
    usage: { inputTokens, outputTokens, costUsd: Math.round(costUsd * 1e6) / 1e6 },
  };
}

export const executeActivities = (deps: Deps) => ({
  /** Runs one agent. The idempotency key is the same on every retry of this step. */
  async executeAgent(req: ExecuteRequest): Promise<ExecuteResult> {
    const ctx = Context.current();
    const agent = deps.agents.get(req.agentId);
    if (!agent) throw agentFailure('refused', `agent "${req.agentId}" is not registered on this worker`);
    const call: AgentCall = {
      agent,
      contract: req.contract,
      input: req.input,
      idempotencyKey: `${ctx.info.workflowExecution?.workflowId ?? ctx.info.activityId}/${ctx.info.activityId}`,
      attempt: ctx.info.attempt,
      signal: ctx.cancellationSignal,
    };
    const started = performance.now();
    // A remote call heartbeats while it runs: a dead worker is noticed within the heartbeat
    // timeout, and the heartbeat's answer is how a cancelled contract reaches this call (the SDK
    // then aborts ctx.cancellationSignal, which the http and openai agents pass to their request).
    // Local activities (in-process builtins) have no heartbeats; they finish at once anyway.
    // A2A calls heartbeat themselves, with the remote task id as the details (a detail-less
    // heartbeat would overwrite them).
    const a2a = agent.endpoint.kind === 'a2a';
    const beat = ctx.info.isLocal || a2a ? undefined : setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
    let answer: Answer;
    try {
      answer = await callEndpoint(ctx, deps, call, req.reply);
    } catch (err) {
      // The agents report an aborted request as a timeout; when it was aborted because Temporal
      // cancelled this attempt (contract cancelled, timed out, worker shutting down), the SDK's own
      // CancelledFailure is what reports the attempt as cancelled rather than as a failed call.
      if (ctx.cancellationSignal.aborted) throw cancelledBy(ctx.cancellationSignal, err);
      throw err;
    } finally {
      clearInterval(beat);
    }
    const latencyMs = Math.round(performance.now() - started);
    if (answer.kind === 'pending') {
      const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
      return { output: undefined, usage, latencyMs, pending: answer.pending, remote: answer.remote };
    }
    return {
      ...measured(agent, answer.result),
      latencyMs,
      ...(answer.remote ? { remote: answer.remote } : {}),
    };
  },

  /** Checks an agent's output against the contract's outputSchema (JSON Schema). */
  async validateOutput(req: { schema?: Record<string, unknown>; output: unknown }): Promise<string[]> {
    if (!req.schema) return Promise.resolve([]);
    let check;
    try {
      check = ajv.compile(req.schema);
    } catch (err) {
      return [`outputSchema is not a valid JSON Schema: ${(err as Error).message}`];
    }
    if (check(req.output)) return [];
    return Promise.resolve(
      (check.errors ?? []).map((e) => `${e.instancePath || '(output)'} ${e.message ?? 'is invalid'}`),
    );
  },
});
