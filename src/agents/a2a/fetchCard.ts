// Reads and validates an agent's card: the card URL and the service URL it names must be hosts
// the agent may be called on, the card must parse, and a named skill must be one it lists.
import type { A2aEndpoint } from '../../shared/agent.js';
import { AgentCardError } from './errors.js';
import { parseCard, type AgentCardInfo } from './card.js';
import { guardedFetch } from './fetchGuard.js';
import { checkCardUrl, checkServiceUrl } from './hosts.js';

/** A card is small; anything bigger is not a card. */
const MAX_CARD_BYTES = 1024 * 1024;
export const CARD_TIMEOUT_MS = 10_000;

export interface CardOptions {
  env?: NodeJS.ProcessEnv;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export async function fetchCard(cardUrl: string, opts: CardOptions = {}): Promise<AgentCardInfo> {
  const env = opts.env ?? process.env;
  const card = checkCardUrl(cardUrl, env);
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? CARD_TIMEOUT_MS);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const get = guardedFetch({ card, env, headers: opts.headers ?? {}, maxBytes: MAX_CARD_BYTES });
  let res: Response;
  let text: string;
  try {
    res = await get(card, { headers: { accept: 'application/json', 'A2A-Version': '1.0' }, signal });
    text = await res.text();
  } catch (err) {
    if (err instanceof AgentCardError) throw err;
    throw new AgentCardError(
      'A2A_CARD_UNREACHABLE',
      cardUrl,
      `cannot read the Agent Card at ${cardUrl}: ${(err as Error).message}`,
    );
  }
  if (!res.ok) {
    throw new AgentCardError(
      'A2A_CARD_UNREACHABLE',
      cardUrl,
      `cannot read the Agent Card at ${cardUrl}: HTTP ${res.status}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AgentCardError(
      'A2A_CARD_INVALID',
      cardUrl,
      `${cardUrl}: not a usable Agent Card: (top level): not JSON`,
      '(top level)',
    );
  }
  const info = parseCard(raw, cardUrl);
  checkServiceUrl(info.service.url, cardUrl, env);
  return info;
}

/** The endpoint's `skill`, when set, must be one the card lists. */
export function checkSkill(info: AgentCardInfo, skill: string | undefined): void {
  if (skill === undefined || info.skills.some((s) => s.id === skill)) return;
  const listed = info.skills.map((s) => s.id).join(', ') || 'none';
  throw new AgentCardError(
    'A2A_CARD_INVALID',
    info.cardUrl,
    `endpoint.skill "${skill}" is not a skill of the card at ${info.cardUrl} (it lists: ${listed})`,
    'skills',
  );
}

/** The value of the endpoint's auth header, read from the environment now (never stored). */
export function authHeaders(endpoint: A2aEndpoint, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!endpoint.auth) return {};
  const value = env[endpoint.auth.env];
  if (value === undefined || value === '') {
    throw new Error(
      `the environment variable ${endpoint.auth.env} (endpoint.auth.env) is not set; it holds the ${endpoint.auth.header} header`,
    );
  }
  return { [endpoint.auth.header]: value };
}

const cache = new Map<string, { info: AgentCardInfo; until: number }>();
/** How long a worker reuses a card it read: cards change rarely; a minute bounds staleness. */
export const CARD_TTL_MS = 60_000;

/** `fetchCard` with a per-process cache, for calls (a card is read once a minute, not per call). */
export async function cachedCard(
  endpoint: A2aEndpoint,
  opts: CardOptions & { env: NodeJS.ProcessEnv },
): Promise<AgentCardInfo> {
  const key = `${endpoint.card}\u0000${endpoint.auth?.env ?? ''}\u0000${opts.env.ARBITER_AGENT_HOSTS ?? ''}`;
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.info;
  const info = await fetchCard(endpoint.card, opts);
  checkSkill(info, endpoint.skill);
  cache.set(key, { info, until: Date.now() + CARD_TTL_MS });
  return info;
}
