// Feeds Arbiter's Prometheus series from the activities the worker runs, without touching the
// activities: an inbound interceptor sees each execution's type, arguments, result, duration and
// failure. The SDK runs local activities through the same interceptors, so the series do not
// depend on whether a step is scheduled or local.
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { ExecuteRequest, ExecuteResult } from '../activities/execute.js';
import type { NotifyRequest, NotifyResult } from '../activities/notify.js';
import type { PolicyRequest } from '../activities/policy.js';
import type { Classification, PolicyResult, Selection } from '../shared/decision.js';
import type {
  CallToolInput,
  CallToolResult,
  DecideToolCallInput,
  ModelTurnInput,
  ModelTurnResult,
  ToolDecision,
} from '../shared/toolSteps.js';
import { failureCategory } from '../shared/failures.js';
import { setCircuit, type ArbiterMetrics } from './arbiterMetrics.js';

function observeSuccess(
  m: ArbiterMetrics,
  type: string,
  arg: unknown,
  result: unknown,
  seconds: number,
): void {
  switch (type) {
    case 'executeAgent': {
      const { agentId } = arg as ExecuteRequest;
      const r = result as ExecuteResult;
      m.agentDuration.observe({ agent: agentId, outcome: 'ok' }, seconds);
      m.agentTokens.inc({ agent: agentId, direction: 'input' }, r.usage.inputTokens);
      m.agentTokens.inc({ agent: agentId, direction: 'output' }, r.usage.outputTokens);
      m.agentCost.inc({ agent: agentId }, r.usage.costUsd);
      return;
    }
    case 'evaluatePolicy': {
      const req = arg as PolicyRequest;
      const r = result as PolicyResult;
      m.policyEvaluations.inc({ route: r.route });
      m.policyDuration.observe({ route: r.route }, seconds);
      // The re-evaluation after a review is not a second decision.
      if (!req.reviewed) m.decisions.inc({ route: r.route, kind: req.role ? 'stage' : 'contract' });
      for (const s of r.standings ?? []) setCircuit(m, s.agentId, s.circuit);
      return;
    }
    case 'selectAgent': {
      for (const [agent, state] of Object.entries((result as Selection).circuits ?? {})) {
        setCircuit(m, agent, state);
      }
      return;
    }
    case 'classify': {
      const c = result as Classification;
      m.classifications.inc({ domain: c.domain, method: c.method });
      return;
    }
    case 'notify': {
      const r = result as NotifyResult;
      m.notifications.inc({ channel: r.channel, kind: r.kind, outcome: r.status });
      return;
    }
    case 'decideToolCall': {
      const r = result as ToolDecision;
      const reviewed = (arg as DecideToolCallInput).reviewed === true;
      m.toolDecisions.inc({ tool: r.tool, route: r.route, reviewed: String(reviewed) });
      return;
    }
    case 'callTool': {
      const req = arg as CallToolInput;
      const outcome = (result as CallToolResult).isError ? 'tool-error' : 'ok';
      m.toolCallDuration.observe({ tool: `${req.server}/${req.tool}`, outcome }, seconds);
      return;
    }
    case 'modelTurn': {
      // A tool loop's turn is a call of the agent's model: its tokens and cost are the agent's.
      const { agentId } = arg as ModelTurnInput;
      const { usage } = result as ModelTurnResult;
      m.agentDuration.observe({ agent: agentId, outcome: 'ok' }, seconds);
      m.agentTokens.inc({ agent: agentId, direction: 'input' }, usage.inputTokens);
      m.agentTokens.inc({ agent: agentId, direction: 'output' }, usage.outputTokens);
      m.agentCost.inc({ agent: agentId }, usage.costUsd);
      return;
    }
  }
}

/** A failed notification: `refused` when it is not retried (it can never succeed), else `failed`. */
function observeNotifyFailure(m: ArbiterMetrics, arg: unknown, err: unknown): void {
  const failure = err instanceof ApplicationFailure ? err : undefined;
  const where = failure?.details?.[0] as { channel?: string; kind?: string } | undefined;
  const channel = where?.channel ?? (arg as Partial<NotifyRequest> | undefined)?.channel ?? 'unknown';
  m.notifications.inc({
    channel: String(channel),
    kind: where?.kind ?? 'unknown',
    outcome: failure?.nonRetryable ? 'refused' : 'failed',
  });
}

function observeFailure(m: ArbiterMetrics, type: string, arg: unknown, err: unknown, seconds: number): void {
  if (type === 'executeAgent' || type === 'modelTurn') {
    const { agentId } = arg as ExecuteRequest | ModelTurnInput;
    m.agentDuration.observe({ agent: agentId, outcome: 'error' }, seconds);
    m.agentErrors.inc({ agent: agentId, category: failureCategory(err).category });
  } else if (type === 'evaluatePolicy') {
    m.policyEvaluations.inc({ route: 'error' });
    m.policyDuration.observe({ route: 'error' }, seconds);
  } else if (type === 'notify') {
    observeNotifyFailure(m, arg, err);
  } else if (type === 'callTool') {
    const req = arg as CallToolInput;
    m.toolCallDuration.observe({ tool: `${req.server}/${req.tool}`, outcome: 'failed' }, seconds);
  }
}

export function activityMetricsInterceptor(m: ArbiterMetrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const type = ctx.info.activityType;
        const started = performance.now();
        const seconds = () => (performance.now() - started) / 1000;
        let result: unknown;
        try {
          result = await next(input);
        } catch (err) {
          safely(() => observeFailure(m, type, input.args[0], err, seconds()));
          throw err;
        }
        safely(() => observeSuccess(m, type, input.args[0], result, seconds()));
        return result;
      },
    },
  });
}

/** Metrics must never fail the work they describe (e.g. an activity whose shape changed). */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A missing series is visible on the dashboard; a failed contract would be worse.
  }
}
