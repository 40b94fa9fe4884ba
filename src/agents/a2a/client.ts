// The official A2A client (@a2a-js/sdk) for the interface Arbiter picked from the card: its
// JSON-RPC transport for 1.0, or its 0.3 compatibility transport (`message/send`, `tasks/get`,
// `tasks/cancel`) when the card offers only 0.3. Every request goes through the guarded fetch.
import type { AgentCard } from '@a2a-js/sdk';
import { Client, JsonRpcTransportFactory, TenantTransportDecorator } from '@a2a-js/sdk/client';
import type { AgentCardInfo } from './card.js';

/**
 * The card the SDK is given: the validated facts, with exactly the one interface Arbiter chose, so
 * the SDK's own interface selection cannot pick another (version or host) than the one checked.
 */
function chosenCard(info: AgentCardInfo): AgentCard {
  return {
    name: info.name,
    description: info.description,
    version: info.version,
    supportedInterfaces: [
      {
        url: info.service.url,
        protocolBinding: 'JSONRPC',
        protocolVersion: info.service.version,
        tenant: info.service.tenant ?? '',
      },
    ],
    provider: undefined,
    // Arbiter follows tasks by polling: no streaming or push notifications are asked for.
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: [],
    defaultOutputModes: [],
    skills: [],
    signatures: [],
  };
}

export async function a2aClient(info: AgentCardInfo, fetchImpl: typeof fetch): Promise<Client> {
  const card = chosenCard(info);
  const factory = new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } });
  let transport = await factory.create(info.service.url, card);
  if (info.service.tenant) transport = new TenantTransportDecorator(transport, info.service.tenant);
  return new Client(transport, card);
}
