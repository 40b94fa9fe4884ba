// The Agent Card: what an A2A agent says about itself (name, version, skills) and where and how it
// is called (its interfaces). Protocol 1.0 cards list `supportedInterfaces` (url, protocolBinding,
// protocolVersion); 0.3 cards have a top-level `url` and `protocolVersion` (with
// `preferredTransport` and `additionalInterfaces`). Arbiter speaks JSON-RPC and takes the newest
// version a card offers for it. The card is data: nothing in it grants a capability or trust.
import { z } from 'zod';
import { formatPath } from '../../shared/problems.js';
import { AgentCardError } from './errors.js';

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const Skill = z.looseObject({
  id: z.string().min(1, { error: 'a skill needs an id' }),
  name: z.string().min(1, { error: 'a skill needs a name' }),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
});

const Interface10 = z.looseObject({
  url: HttpUrl,
  protocolBinding: z
    .string()
    .min(1, { error: 'an interface names its protocolBinding (JSONRPC, HTTP+JSON, GRPC)' }),
  protocolVersion: z.string().min(1, { error: 'an interface names its protocolVersion (1.0, 0.3)' }),
  tenant: z.string().optional(),
});

const Interface03 = z.looseObject({ url: HttpUrl, transport: z.string().min(1) });

/** The fields of a card Arbiter reads; the rest is kept as it came. */
export const AgentCardDoc = z
  .looseObject({
    name: z.string().min(1, { error: 'the card has no name' }),
    description: z.string().optional(),
    version: z.string().min(1, { error: 'the card has no version' }),
    supportedInterfaces: z.array(Interface10).optional(),
    url: HttpUrl.optional(),
    protocolVersion: z.string().min(1).optional(),
    preferredTransport: z.string().min(1).optional(),
    additionalInterfaces: z.array(Interface03).optional(),
    skills: z.array(Skill).optional(),
  })
  .refine((c) => (c.supportedInterfaces?.length ?? 0) > 0 || c.url !== undefined, {
    path: ['supportedInterfaces'],
    error:
      'the card names no interface: a 1.0 card lists supportedInterfaces (url, protocolBinding, protocolVersion), a 0.3 card has url and protocolVersion',
  });
export type AgentCardDoc = z.infer<typeof AgentCardDoc>;

export type ProtocolVersion = '1.0' | '0.3';

/** The interface Arbiter calls: JSON-RPC at `url`, speaking `version`. */
export interface ServiceInterface {
  url: string;
  version: ProtocolVersion;
  tenant?: string;
}

export interface CardSkill {
  id: string;
  name: string;
  description?: string;
  tags: string[];
}

/** A validated card, reduced to what Arbiter uses. */
export interface AgentCardInfo {
  cardUrl: string;
  name: string;
  description: string;
  version: string;
  skills: CardSkill[];
  service: ServiceInterface;
}

/** `1.0`, `1.0.0` -> `1.0`; `0.3`, `0.3.0` -> `0.3`; anything else is not spoken here. */
function supportedVersion(v: string): ProtocolVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(v.trim());
  if (!m) return undefined;
  const mm = `${Number(m[1])}.${Number(m[2])}`;
  return mm === '1.0' || mm === '0.3' ? mm : undefined;
}

interface Offer {
  url: string;
  binding: string;
  version: string;
  tenant?: string;
}

function offers(card: AgentCardDoc): Offer[] {
  // A card may carry both shapes (a 1.0 server that also serves 0.3 clients): the 1.0 list is the
  // authoritative one.
  if (card.supportedInterfaces?.length) {
    return card.supportedInterfaces.map((i) => ({
      url: i.url,
      binding: i.protocolBinding,
      version: i.protocolVersion,
      ...(i.tenant ? { tenant: i.tenant } : {}),
    }));
  }
  const version = card.protocolVersion ?? '0.3';
  return [
    { url: card.url!, binding: card.preferredTransport ?? 'JSONRPC', version },
    ...(card.additionalInterfaces ?? []).map((i) => ({ url: i.url, binding: i.transport, version })),
  ];
}

/** The JSON-RPC interface of the newest protocol version the card offers (1.0, else 0.3). */
export function pickInterface(card: AgentCardDoc, cardUrl: string): ServiceInterface {
  const all = offers(card);
  const jsonRpc = all
    .filter((o) => o.binding.trim().toUpperCase() === 'JSONRPC')
    .map((o) => ({ ...o, supported: supportedVersion(o.version) }));
  const pick = jsonRpc.find((o) => o.supported === '1.0') ?? jsonRpc.find((o) => o.supported === '0.3');
  if (!pick?.supported) {
    const offered = all.map((o) => `${o.binding} ${o.version}`).join(', ');
    throw new AgentCardError(
      'A2A_CARD_INVALID',
      cardUrl,
      `${cardUrl}: supportedInterfaces: no JSON-RPC interface of protocol 1.0 or 0.3 (the card offers ${offered})`,
      'supportedInterfaces',
    );
  }
  return { url: pick.url, version: pick.supported, ...(pick.tenant ? { tenant: pick.tenant } : {}) };
}

/** Validates a fetched card; a problem is an AgentCardError naming the field. */
export function parseCard(raw: unknown, cardUrl: string): AgentCardInfo {
  const parsed = AgentCardDoc.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = formatPath(issue.path);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new AgentCardError(
      'A2A_CARD_INVALID',
      cardUrl,
      `${cardUrl}: not a usable Agent Card: ${field}: ${issue.message}${more}`,
      field,
    );
  }
  const card = parsed.data;
  return {
    cardUrl,
    name: card.name,
    description: card.description ?? '',
    version: card.version,
    skills: (card.skills ?? []).map((s) => ({
      id: s.id,
      name: s.name,
      ...(s.description ? { description: s.description } : {}),
      tags: s.tags ?? [],
    })),
    service: pickInterface(card, cardUrl),
  };
}
