// Zero trust for A2A agents: Arbiter calls only hosts the operator named. The card URL must pass
// ARBITER_AGENT_HOSTS like any http agent's URL, and so must the service URL the card names: a
// card cannot send Arbiter anywhere its operator did not allow. With no allowlist set, the service
// must be on the card's own host, since a card pointing elsewhere was never approved by anyone.
import { HOSTS_ENV, hostAllowed } from '../http.js';
import { AgentCardError } from './errors.js';

function httpUrl(text: string, cardUrl: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AgentCardError('A2A_CARD_INVALID', cardUrl, `${what} "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentCardError(
      'A2A_HOST_REFUSED',
      cardUrl,
      `${what} ${url.href}: only http and https are called`,
    );
  }
  return url;
}

/** The card URL, checked against ARBITER_AGENT_HOSTS before anything is fetched. */
export function checkCardUrl(cardUrl: string, env: NodeJS.ProcessEnv): URL {
  const url = httpUrl(cardUrl, cardUrl, 'card URL');
  if (!hostAllowed(url, env[HOSTS_ENV])) {
    throw new AgentCardError(
      'A2A_HOST_REFUSED',
      cardUrl,
      `the card at ${cardUrl} is on ${url.host}, which is not in ${HOSTS_ENV}; add it there to allow calls to it`,
    );
  }
  return url;
}

/** True when a request for the agent whose card is at `card` may go to `target`. */
export function mayCall(target: URL, card: URL, env: NodeJS.ProcessEnv): boolean {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
  const list = env[HOSTS_ENV];
  if (list !== undefined && list.trim() !== '') return hostAllowed(target, list);
  return target.hostname.toLowerCase() === card.hostname.toLowerCase();
}

/** The service URL the card names, refused unless the allowlist (or the card's own host) covers it. */
export function checkServiceUrl(serviceUrl: string, cardUrl: string, env: NodeJS.ProcessEnv): URL {
  const card = new URL(cardUrl);
  const url = httpUrl(serviceUrl, cardUrl, 'the service URL the card names,');
  if (!mayCall(url, card, env)) {
    const list = env[HOSTS_ENV];
    const why =
      list !== undefined && list.trim() !== ''
        ? `${url.host} is not in ${HOSTS_ENV}`
        : `${url.host} is not the card's host ${card.host} (list both in ${HOSTS_ENV} to allow it)`;
    throw new AgentCardError(
      'A2A_HOST_REFUSED',
      cardUrl,
      `the card at ${cardUrl} points its service at ${url.href}, refused: ${why}`,
      'supportedInterfaces',
    );
  }
  return url;
}
