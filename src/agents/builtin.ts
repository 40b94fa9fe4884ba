// Builtin agents do deterministic work in-process: useful as zero-cost agents for demos, tests
// and benchmarks, and as the reference for what an agent's answer looks like.
import type { AgentCall, AgentResult } from './types.js';
import { agentFailure } from '../shared/failures.js';

type Builtin = (call: AgentCall) => AgentResult;

const builtins: Record<string, Builtin> = {
  report: ({ contract, input }) => ({
    output: {
      summary: `${contract.title}: ${contract.objective}`,
      criteria: contract.acceptanceCriteria.map((criterion) => ({ criterion, status: 'addressed' })),
      inputs: input ?? null,
    },
  }),
  checklist: ({ contract }) => ({
    output: {
      items: contract.acceptanceCriteria.map((c, i) => `${i + 1}. ${c}`),
      count: contract.acceptanceCriteria.length,
    },
  }),
  // A reviewer stage answers {approved, feedback}; it approves work that has content.
  reviewer: ({ input }) => {
    const previous = (input as { previous?: Record<string, unknown> } | undefined)?.previous ?? {};
    const approved = Object.values(previous).some((v) => v !== null && v !== undefined);
    return { output: { approved, feedback: approved ? 'meets the criteria' : 'no work to review' } };
  },
  // Sends the first round back with feedback, approves the next: shows bounded send-backs.
  'picky-reviewer': ({ input }) => {
    const round = (input as { round?: number } | undefined)?.round ?? 1;
    return round < 2
      ? { output: { approved: false, feedback: 'add the data sources behind each finding' } }
      : { output: { approved: true, feedback: 'sources added' } };
  },
  // Never approves: shows the send-back bound, after which the contract fails with the reason.
  'stern-reviewer': () => ({
    output: { approved: false, feedback: 'the findings are not supported by the data' },
  }),
  // Fails its first attempt of every piece of work, then succeeds: shows retries in action.
  flaky: (call) => {
    if (call.attempt < 2) throw agentFailure('agent-error', `flaky agent failed attempt ${call.attempt}`);
    return builtins.report!(call);
  },
  failing: () => {
    throw agentFailure('agent-error', 'this agent always fails');
  },
  'invalid-output': () => ({ output: { unexpected: true } }),
};

export function runBuiltin(name: string, call: AgentCall): AgentResult {
  const fn = builtins[name];
  if (!fn) throw agentFailure('refused', `unknown builtin agent "${name}"`);
  return fn(call);
}
