// `http`-kind agents (SPEC §2): POST {contractId, idempotencyKey, contract, input}; 200 with
// {output, usage?} is success, anything else a failed attempt. The same key means the same work,
// so a retried call after a crash is recognised by the agent.
//
// Security: a request is signed (HMAC-SHA256 over `timestamp.body`) when the agent has a secret in
// ARBITER_AGENT_SECRET_<ID>; ARBITER_AGENT_HOSTS, when set, is the only set of hosts Arbiter calls
// (checked before any request; redirects are not followed); the answer is validated before use.
import { z } from 'zod';
import { HOSTS_ENV, hostAllowed } from '../config/hosts.js';
import { agentFailure } from '../shared/failures.js';
import { signatureHeaders } from '../security/signature.js';
import type { AgentCall, AgentResult } from './types.js';

// Agent implementers verify requests with these (docs/security.md).
export {
  DEFAULT_TOLERANCE_MS,
  SIGNATURE_HEADER,
  sign,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../security/signature.js';

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export { HOSTS_ENV, hostAllowed };

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

/** The environment variable holding an agent's signing secret: ARBITER_AGENT_SECRET_MY_AGENT. */
export const secretEnvName = (agentId: string): string =>
  `ARBITER_AGENT_SECRET_${agentId.toUpperCase().replace(/-/g, '_')}`;

export async function runHttp(call: AgentCall, env: NodeJS.ProcessEnv = process.env): Promise<AgentResult> {
  const endpoint = call.agent.endpoint;
  if (endpoint.kind !== 'http') throw agentFailure('refused', 'not an http agent');
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw agentFailure('refused', `agent ${call.agent.id}: "${endpoint.url}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw agentFailure('refused', `agent ${call.agent.id}: only http and https URLs are called`);
  }
  if (!hostAllowed(url, env[HOSTS_ENV])) {
    throw agentFailure(
      'refused',
      `agent ${call.agent.id}: ${url.host} is not in ${HOSTS_ENV}; add it there to allow calls to it`,
    );
  }
  const body = JSON.stringify({
    contractId: call.contract.id,
    idempotencyKey: call.idempotencyKey,
    contract: call.contract,
    input: call.input ?? null,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': call.idempotencyKey,
  };
  const secret = env[secretEnvName(call.agent.id)];
  if (secret) Object.assign(headers, signatureHeaders(secret, body));
  let res: Response;
  try {
    // Redirects are not followed: a 3xx could lead outside the allowlist; it fails the attempt.
    res = await fetch(url, { method: 'POST', headers, body, signal: call.signal, redirect: 'manual' });
  } catch (err) {
    const aborted = (err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError';
    throw agentFailure(aborted ? 'timeout' : 'server-error', `${endpoint.url}: ${(err as Error).message}`);
  }
  if (res.status === 429) throw agentFailure('rate-limit', `${endpoint.url}: 429 Too Many Requests`);
  if (res.status >= 500) throw agentFailure('server-error', `${endpoint.url}: HTTP ${res.status}`);
  if (res.status !== 200) throw agentFailure('refused', `${endpoint.url}: HTTP ${res.status}`);
  if (Number(res.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
    throw agentFailure('invalid-output', `${endpoint.url}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
  }
  const parsed = Answer.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success)
    throw agentFailure('invalid-output', `${endpoint.url}: answer is not {output, usage?}`);
  return { output: parsed.data.output, usage: parsed.data.usage ?? {} };
}
