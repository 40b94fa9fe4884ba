// The cards of an agents file's A2A agents, read when the file is checked (`arbiter check`) and
// when a worker starts: a malformed card, a card refused by the host allowlist or a skill the card
// does not list is bad input (exit 2, naming the agent and the field); a card that does not answer
// now is only a warning, since the agent may come up later (its calls fail clearly until it does).
import type { Agent } from '../../shared/agent.js';
import { badInput, type ArbiterError } from '../../shared/errors.js';
import type { AgentCardInfo } from './card.js';
import { AgentCardError } from './errors.js';
import { authHeaders, checkSkill, fetchCard } from './fetchCard.js';

export interface CardCheck {
  agentId: string;
  /** The agent's index in the file's `agents` list. */
  index: number;
  info?: AgentCardInfo;
  error?: AgentCardError;
}

const LOAD_TIMEOUT_MS = 5_000;

/** Reads every A2A agent's card at once; each result says what was found or what is wrong. */
export async function checkCards(
  agents: readonly Agent[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = LOAD_TIMEOUT_MS,
): Promise<CardCheck[]> {
  const a2a = agents.flatMap((a, index) => (a.endpoint.kind === 'a2a' ? [{ a, index, e: a.endpoint }] : []));
  return Promise.all(
    a2a.map(async ({ a, index, e }): Promise<CardCheck> => {
      let headers: Record<string, string> = {};
      try {
        headers = authHeaders(e, env);
      } catch {
        // Not set here (e.g. `arbiter check` on a laptop): the card is read without it.
      }
      try {
        const info = await fetchCard(e.card, { env, headers, timeoutMs });
        checkSkill(info, e.skill);
        return { agentId: a.id, index, info };
      } catch (err) {
        if (err instanceof AgentCardError) return { agentId: a.id, index, error: err };
        throw err;
      }
    }),
  );
}

/** The bad-input error for the checks' problems (none when every card is usable or unreachable). */
export function cardProblems(file: string, checks: readonly CardCheck[]): ArbiterError | undefined {
  const bad = checks.filter((c) => c.error && c.error.code !== 'A2A_CARD_UNREACHABLE');
  if (bad.length === 0) return undefined;
  return badInput(
    `${file}: ${bad.length} A2A agent${bad.length > 1 ? 's have' : ' has'} an unusable Agent Card`,
    bad.map((c) => {
      const where = c.error!.field ? ` (card field ${c.error!.field})` : '';
      const field = c.error!.field === 'skills' ? 'endpoint.skill' : 'endpoint.card';
      return `agents[${c.index}].${field} (agent ${c.agentId})${where}: ${c.error!.message}`;
    }),
  );
}

/** One line per card that did not answer: the agent is kept, its calls fail until it answers. */
export function cardWarnings(checks: readonly CardCheck[]): string[] {
  return checks
    .filter((c) => c.error?.code === 'A2A_CARD_UNREACHABLE')
    .map((c) => `agent ${c.agentId}: ${c.error!.message}; its calls fail until the card answers`);
}

/**
 * For worker start: throws the bad-input error when a card is unusable (nothing starts), and
 * reports cards that do not answer now through `warn`. Files without A2A agents cost nothing.
 */
export async function assertCardsUsable(
  file: string,
  agents: readonly Agent[],
  warn: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CardCheck[]> {
  if (!agents.some((a) => a.endpoint.kind === 'a2a')) return [];
  const checks = await checkCards(agents, env);
  const problem = cardProblems(file, checks);
  if (problem) throw problem;
  for (const w of cardWarnings(checks)) warn(w);
  return checks;
}
