import type { Agent } from '../shared/agent.js';
import type { Contract } from '../shared/contract.js';
import type { Usage } from '../shared/decision.js';

/** One piece of work handed to an agent. The idempotency key is stable across retries. */
export interface AgentCall {
  agent: Agent;
  contract: Contract;
  input: unknown;
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
}

export interface AgentResult {
  output: unknown;
  usage?: Partial<Usage>;
}

export type AgentRunner = (call: AgentCall) => Promise<AgentResult>;
