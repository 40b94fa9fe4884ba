// A call's connection to an A2A agent: its card (read through the cache, its hosts checked
// against the allowlist), the official client (@a2a-js/sdk) for the interface Arbiter picked from
// it — the JSON-RPC transport for 1.0, or the 0.3 compatibility transport (`message/send`,
// `tasks/get`, `tasks/cancel`) when the card offers only 0.3 — and the requests a call makes.
// Every request goes through the guarded fetch.
import { TaskState, type AgentCard, type Message, type Task } from '@a2a-js/sdk';
import { Client, JsonRpcTransportFactory, TenantTransportDecorator } from '@a2a-js/sdk/client';
import type { A2aEndpoint } from '../../shared/agent.js';
import type { AgentCardInfo } from './card.js';
import { cachedCard } from './fetchCard.js';
import { guardedFetch } from './fetchGuard.js';

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

async function a2aClient(info: AgentCardInfo, fetchImpl: typeof fetch): Promise<Client> {
  const card = chosenCard(info);
  const factory = new JsonRpcTransportFactory({ fetchImpl, legacyCompat: { enabled: true } });
  let transport = await factory.create(info.service.url, card);
  if (info.service.tenant) transport = new TenantTransportDecorator(transport, info.service.tenant);
  return new Client(transport, card);
}

export async function connect(
  endpoint: A2aEndpoint,
  opts: { env: NodeJS.ProcessEnv; headers: Record<string, string>; signal: AbortSignal },
): Promise<A2aConnection> {
  const info = await cachedCard(endpoint, opts);
  const { env, headers } = opts;
  const client = await a2aClient(info, guardedFetch({ card: new URL(endpoint.card), env, headers }));
  return new A2aConnection(info, client, opts.signal);
}

/** The requests one call makes, each aborted with the call (or by the signal given). */
export class A2aConnection {
  constructor(
    readonly info: AgentCardInfo,
    private readonly client: Client,
    private readonly signal: AbortSignal,
  ) {}

  getTask(id: string): Promise<Task> {
    return this.client.getTask({ tenant: '', id, historyLength: 0 }, { signal: this.signal });
  }

  send(message: Message): Promise<Message | Task> {
    return this.client.sendMessage(
      {
        tenant: '',
        message,
        configuration: {
          acceptedOutputModes: [],
          taskPushNotificationConfig: undefined,
          historyLength: 0,
          // Non-blocking: the answer is the task, and the work is followed with tasks/get.
          returnImmediately: true,
        },
        metadata: undefined,
      },
      { signal: this.signal },
    );
  }

  /** The newest task of a context: one an earlier attempt may have started (1.0 servers only). */
  async newestTaskOf(contextId: string, signal: AbortSignal = this.signal): Promise<Task | undefined> {
    if (this.info.service.version !== '1.0') return undefined;
    try {
      const listed = await this.client.listTasks(
        {
          tenant: '',
          contextId,
          status: TaskState.TASK_STATE_UNSPECIFIED,
          pageSize: 10,
          pageToken: '',
          historyLength: 0,
          statusTimestampAfter: undefined,
        },
        { signal },
      );
      return [...listed.tasks].sort((a, b) =>
        (b.status?.timestamp ?? '').localeCompare(a.status?.timestamp ?? ''),
      )[0];
    } catch {
      return undefined; // a server without ListTasks: nothing to find
    }
  }

  cancel(id: string, signal: AbortSignal): Promise<Task> {
    return this.client.cancelTask({ tenant: '', id, metadata: undefined }, { signal });
  }
}
