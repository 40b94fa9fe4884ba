// `http`-kind agents (SPEC §2): POST {contractId, idempotencyKey, contract, input}; 200 with
// {output, usage?} is success, anything else a failed attempt. The same key means the same work,
// so a retried call after a crash is recognised by the agent.
//
// Security: a request is signed (HMAC-SHA256 over `timestamp.body`) when the agent has a secret in
// ARBITER_AGENT_SECRET_<ID>; ARBITER_AGENT_HOSTS, when set, is the only set of hosts Arbiter calls
// (checked before any request; redirects are not followed); the answer is validated before use.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HOSTS_ENV, hostAllowed } from '../config/hosts.js';
import { agentFailure } from '../shared/failures.js';
import type { AgentCall, AgentResult } from './types.js';

export const TIMESTAMP_HEADER = 'x-arbiter-timestamp';
export const SIGNATURE_HEADER = 'x-arbiter-signature';
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;
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

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For agent implementers: true when `header` (x-arbiter-signature) is the signature of `body` at
 * `timestamp` (x-arbiter-timestamp, epoch milliseconds) and the timestamp is within `toleranceMs`
 * of `now` (replays of old requests fail). Comparison is constant-time.
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  header: string | undefined,
  now: number = Date.now(),
  toleranceMs: number = DEFAULT_TOLERANCE_MS,
): boolean {
  if (!timestamp || !header || !/^\d{1,16}$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > toleranceMs) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

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
  if (secret) {
    const timestamp = String(Date.now());
    headers[TIMESTAMP_HEADER] = timestamp;
    headers[SIGNATURE_HEADER] = sign(secret, timestamp, body);
  }
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
