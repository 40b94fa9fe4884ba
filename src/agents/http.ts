// `http`-kind agents (SPEC §2): POST {contractId, idempotencyKey, contract, input}; 200 with
// {output, usage?} is success, anything else a failed attempt. The same key means the same work,
// so a retried call after a crash is recognised by the agent.
import { z } from 'zod';
import { agentFailure } from './errors.js';
import type { AgentCall, AgentResult } from './types.js';

const Answer = z.object({
  output: z.json(),
  usage: z
    .object({
      inputTokens: z.number().int().nonnegative().optional(),
      outputTokens: z.number().int().nonnegative().optional(),
      costUsd: z.number().nonnegative().optional(),
    })
    .optional(),
});

export async function runHttp(call: AgentCall): Promise<AgentResult> {
  const endpoint = call.agent.endpoint;
  if (endpoint.kind !== 'http') throw agentFailure('refused', 'not an http agent');
  let res: Response;
  try {
    res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': call.idempotencyKey },
      body: JSON.stringify({
        contractId: call.contract.id,
        idempotencyKey: call.idempotencyKey,
        contract: call.contract,
        input: call.input ?? null,
      }),
      signal: call.signal,
    });
  } catch (err) {
    const aborted = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
    throw agentFailure(aborted ? 'timeout' : 'server-error', `${endpoint.url}: ${(err as Error).message}`);
  }
  if (res.status === 429) throw agentFailure('rate-limit', `${endpoint.url}: 429 Too Many Requests`);
  if (res.status >= 500) throw agentFailure('server-error', `${endpoint.url}: HTTP ${res.status}`);
  if (res.status !== 200) throw agentFailure('refused', `${endpoint.url}: HTTP ${res.status}`);
  const parsed = Answer.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success)
    throw agentFailure('invalid-output', `${endpoint.url}: answer is not {output, usage?}`);
  return { output: parsed.data.output, usage: parsed.data.usage ?? {} };
}
