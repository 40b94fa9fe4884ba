// What can be wrong with an A2A agent before any work is sent: its Agent Card could not be read,
// it is not a card Arbiter can use, or it leads somewhere the host allowlist does not allow. Each
// carries a stable code and, for a malformed card, the card field at fault, so `arbiter check` and
// worker start can say exactly what to fix (exit 2) and a call can fail with a clear agent error.
export type AgentCardErrorCode = 'A2A_CARD_UNREACHABLE' | 'A2A_CARD_INVALID' | 'A2A_HOST_REFUSED';

export class AgentCardError extends Error {
  override readonly name = 'AgentCardError';
  constructor(
    readonly code: AgentCardErrorCode,
    readonly cardUrl: string,
    message: string,
    /** The card field at fault (`supportedInterfaces[0].url`), for a malformed card. */
    readonly field?: string,
  ) {
    super(message);
  }
}

export const isAgentCardError = (err: unknown): err is AgentCardError => err instanceof AgentCardError;
