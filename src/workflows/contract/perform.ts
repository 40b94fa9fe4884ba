// Getting one agent's answer for one attempt. Most agents answer in one call; an `openai` agent
// with tools works in a governed tool loop (toolLoop.ts). A remote agent (A2A) may stop and ask its
// client a question, or for credentials: a person answers (a review with the agent's question,
// never a silent retry) and the answer goes back on the same remote task.
import type { ExecuteResult } from '../../activities/execute.js';
import type { Selection } from '../../shared/decision.js';
import { agentFailure } from '../../shared/failures.js';
import { callAgent } from './agentCall.js';
import { askPerson } from './review.js';
import type { ContractRun } from './run.js';
import type { Task } from './agents.js';
import { runToolLoop, type LoopSummary } from './toolLoop.js';

/** Questions one attempt may ask before it is given up: an agent that keeps asking fails. */
const MAX_QUESTIONS = 5;

/** An attempt's answer; a tool loop's also says how many turns and calls it took. */
export type Performed = ExecuteResult & { loop?: LoopSummary };

export async function perform(
  run: ContractRun,
  selection: Selection,
  agentId: string,
  attemptId: string,
  task: Task,
): Promise<Performed> {
  // Chosen at selection from the agents file and recorded with it: an agent with tools works in a
  // loop whose every turn and tool call is its own step, each tool call decided by policy.
  if (selection.placement[agentId]?.tools) return runToolLoop(run, selection, agentId, attemptId, task);
  const summary = `execute ${task.label} with agent ${agentId}`;
  let reply: { taskId: string; contextId?: string; text: string } | undefined;
  for (let asked = 0; ; asked++) {
    const request = { contract: run.contract, agentId, input: task.input, ...(reply ? { reply } : {}) };
    const result = await callAgent(
      selection,
      request,
      reply ? `${summary}: the answer to its question` : summary,
    );
    if (result.remote) run.record('remote-task', { agentId, label: task.label, ...result.remote });
    if (!result.pending) return result;
    const { state, question, taskId, contextId } = result.pending;
    if (asked >= MAX_QUESTIONS) {
      throw agentFailure(
        'refused',
        `agent ${agentId} asked more than ${MAX_QUESTIONS} questions in one attempt`,
      );
    }
    // What the agent says is data: it is shown to a person, and decides nothing by itself.
    const what = state === 'auth-required' ? 'needs credentials' : 'asks';
    const answer = await askPerson(run, {
      subject: 'agent-question',
      why: [`agent ${agentId} ${what} (remote task ${taskId}): ${question}`],
      permitted: [agentId],
      decided: run.reviewPolicy,
    });
    if (answer.decision === 'reject') {
      const by = answer.via === 'timeout' ? 'nobody answered in time' : `declined by ${answer.reviewer}`;
      throw agentFailure('refused', `agent ${agentId}'s question was not answered: ${by}`);
    }
    const text = answer.text ?? answer.reason ?? `approved by ${answer.reviewer}`;
    reply = { taskId, ...(contextId ? { contextId } : {}), text };
  }
}
