// An example A2A agent, built with the official SDK's server side (@a2a-js/sdk with express): it
// answers with a glossary of the GDPR terms a request mentions, with their definitions and the
// articles they come from. Deterministic (a fixed dictionary, no LLM), so the demo's run is the
// same every time. Arbiter calls it like any A2A agent: it reads the card, sends the contract as
// a message, and follows the task (submitted -> working -> completed) with tasks/get.
//
//   npx tsx examples/a2a/glossaryAgent.ts [--port 41241]   # prints the Agent Card URL
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard, type Message, type Part } from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

const TERMS: Record<string, { definition: string; source: string }> = {
  controller: {
    definition: 'The body that decides why and how personal data is processed.',
    source: 'GDPR Art. 4(7)',
  },
  processor: {
    definition: 'A body that processes personal data on behalf of the controller.',
    source: 'GDPR Art. 4(8)',
  },
  'lawful basis': {
    definition: 'One of the six grounds that make processing lawful, such as consent or contract.',
    source: 'GDPR Art. 6',
  },
  dpia: {
    definition: 'Data protection impact assessment: required before processing likely to be high-risk.',
    source: 'GDPR Art. 35',
  },
  'supervisory authority': {
    definition: 'The independent public authority that enforces data protection law in a member state.',
    source: 'GDPR Art. 51',
  },
  consent: {
    definition: 'A freely given, specific, informed and unambiguous indication of agreement.',
    source: 'GDPR Art. 4(11)',
  },
};

const text = (value: string): Part => ({
  content: { $case: 'text', value },
  metadata: undefined,
  filename: '',
  mediaType: 'text/plain',
});
const data = (value: unknown): Part => ({
  content: { $case: 'data', value },
  metadata: undefined,
  filename: '',
  mediaType: 'application/json',
});

/** The request's words: its text parts and, when it sent one, the contract in its data part. */
function requestText(m: Message): string {
  return m.parts
    .map((p) =>
      p.content?.$case === 'text'
        ? p.content.value
        : p.content?.$case === 'data'
          ? JSON.stringify(p.content.value)
          : '',
    )
    .join('\n')
    .toLowerCase();
}

class GlossaryExecutor implements AgentExecutor {
  cancelTask = async (): Promise<void> => {};

  async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = ctx;
    const status = (state: TaskState, message?: string) =>
      bus.publish(
        AgentEvent.statusUpdate({
          taskId,
          contextId,
          status: {
            state,
            timestamp: new Date().toISOString(),
            message: message
              ? {
                  messageId: crypto.randomUUID(),
                  taskId,
                  contextId,
                  role: Role.ROLE_AGENT,
                  parts: [text(message)],
                  metadata: undefined,
                  extensions: [],
                  referenceTaskIds: [],
                }
              : undefined,
          },
          metadata: undefined,
        }),
      );
    if (!ctx.task) {
      bus.publish(
        AgentEvent.task({
          id: taskId,
          contextId,
          status: {
            state: TaskState.TASK_STATE_SUBMITTED,
            message: undefined,
            timestamp: new Date().toISOString(),
          },
          artifacts: [],
          history: [ctx.userMessage],
          metadata: undefined,
        }),
      );
    }
    status(TaskState.TASK_STATE_WORKING);
    await sleep(500); // a moment of "work", so the task is seen working before it completes
    const words = requestText(ctx.userMessage);
    const glossary = Object.entries(TERMS)
      .filter(([term]) => words.includes(term))
      .map(([term, t]) => ({ term, ...t }));
    if (glossary.length === 0) {
      return status(TaskState.TASK_STATE_FAILED, 'the request names none of the terms this glossary knows');
    }
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: {
          artifactId: `${taskId}-glossary`,
          name: 'glossary',
          description: 'GDPR terms with definitions and sources',
          parts: [data({ summary: `${glossary.length} GDPR terms defined`, glossary })],
          metadata: undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    status(TaskState.TASK_STATE_COMPLETED);
  }
}

export interface GlossaryAgent {
  cardUrl: string;
  close(): Promise<void>;
}

/** Starts the agent on `host:port` (port 0: any free port) and returns its Agent Card URL. */
export async function startGlossaryAgent(
  opts: { port?: number; host?: string; unref?: boolean } = {},
): Promise<GlossaryAgent> {
  const host = opts.host ?? '127.0.0.1';
  const app = express();
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, resolve);
  });
  // A host process (the demo) should not be kept alive by this server alone.
  if (opts.unref) server.unref();
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: 'EU Privacy Glossary',
    description:
      'Defines the GDPR terms a request mentions, with the article each comes from (deterministic).',
    supportedInterfaces: [
      { url: `${base}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' },
    ],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['application/json'],
    skills: [
      {
        id: 'glossary',
        name: 'GDPR glossary',
        description: 'Definitions of GDPR terms with their articles',
        tags: ['legal', 'gdpr', 'glossary'],
        examples: ['Define controller, processor and DPIA'],
        inputModes: [],
        outputModes: [],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
  const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), new GlossaryExecutor());
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
  app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
  return {
    cardUrl: `${base}/${AGENT_CARD_PATH}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--port');
  const agent = await startGlossaryAgent({ port: i > 0 ? Number(process.argv[i + 1]) : 41241 });
  process.stdout.write(`EU Privacy Glossary (A2A) ready; Agent Card: ${agent.cardUrl}\n`);
  const stop = () => void agent.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
