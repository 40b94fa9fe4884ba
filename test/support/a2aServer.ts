// A real A2A agent for tests, built with the official SDK's server side (DefaultRequestHandler, the
// JSON-RPC transport over express) on 127.0.0.1. Its modes are the situations Arbiter must handle:
// an instant answer, a slow task, a failing task, a question (input-required) answered by a later
// message, a rejected task, and cards that are malformed or point their service at another host.
// It records what it was asked (sends, task ids, tasks/get, tasks/cancel, auth headers).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import {
  AGENT_CARD_PATH,
  Role,
  TaskState,
  type AgentCard,
  type Message,
  type Part,
  type Task,
} from '@a2a-js/sdk';
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
  type ServerCallContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

export type A2aMode = 'instant' | 'text' | 'huge' | 'slow' | 'failing' | 'ask' | 'reject';

export interface A2aServerOptions {
  mode: A2aMode;
  /** How long a slow task works before it completes. */
  slowMs?: number;
  name?: string;
  skills?: { id: string; name: string; tags: string[]; description?: string }[];
  /** Serve this instead of the real card (malformed cards). */
  rawCard?: (base: string) => unknown;
  /** Name this service URL in the card instead of the server's own (cards pointing elsewhere). */
  serviceUrl?: string;
  /** Hold the answer to a sent message this long after the task exists (a slow network). */
  answerDelayMs?: number;
  /** Answer 401 unless this header/value pair is sent. */
  requireHeader?: { name: string; value: string };
}

export interface Sent {
  messageId: string;
  contextId: string;
  taskId: string;
  text: string;
  data: unknown;
}

export interface A2aTestServer {
  base: string;
  cardUrl: string;
  /** Every message received (sendMessage), in order. */
  sends: Sent[];
  /** Every task the agent started (one per new task). */
  tasksStarted: string[];
  gets: number;
  cancels: string[];
  /** Resolves when `n` tasks have started. */
  started(n: number, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

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
const agentMessage = (taskId: string, contextId: string, parts: Part[]): Message => ({
  messageId: crypto.randomUUID(),
  contextId,
  taskId,
  role: Role.ROLE_AGENT,
  parts,
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
});

function textOf(m: Message): string {
  return m.parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : [])).join('\n');
}
function dataOf(m: Message): unknown {
  const p = m.parts.find((x) => x.content?.$case === 'data');
  return p?.content?.$case === 'data' ? p.content.value : undefined;
}

class TestExecutor implements AgentExecutor {
  readonly cancelled = new Set<string>();
  constructor(
    private readonly opts: A2aServerOptions,
    private readonly onStart: (taskId: string) => void,
  ) {}

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    this.cancelled.add(taskId);
    await Promise.resolve();
    void bus;
  };

  private status(bus: ExecutionEventBus, ctx: RequestContext, state: TaskState, message?: Message): void {
    bus.publish(
      AgentEvent.statusUpdate({
        taskId: ctx.taskId,
        contextId: ctx.contextId,
        status: { state, message, timestamp: new Date().toISOString() },
        metadata: undefined,
      }),
    );
  }

  private complete(bus: ExecutionEventBus, ctx: RequestContext, parts: Part[]): void {
    bus.publish(
      AgentEvent.artifactUpdate({
        taskId: ctx.taskId,
        contextId: ctx.contextId,
        artifact: {
          artifactId: crypto.randomUUID(),
          name: 'result',
          description: '',
          parts,
          metadata: undefined,
          extensions: [],
        },
        append: false,
        lastChunk: true,
        metadata: undefined,
      }),
    );
    this.status(bus, ctx, TaskState.TASK_STATE_COMPLETED);
  }

  async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const msg = ctx.userMessage;
    if (!ctx.task) {
      this.onStart(ctx.taskId);
      const task: Task = {
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: {
          state: TaskState.TASK_STATE_SUBMITTED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        artifacts: [],
        history: [msg],
        metadata: undefined,
      };
      bus.publish(AgentEvent.task(task));
    }
    const contract = (
      dataOf(msg) as { contract?: { title?: string; acceptanceCriteria?: string[] } } | undefined
    )?.contract;
    const report = {
      summary: `done by the A2A agent: ${contract?.title ?? textOf(msg).split('\n')[0]}`,
      criteria: contract?.acceptanceCriteria ?? [],
    };
    switch (this.opts.mode) {
      case 'instant':
        return this.complete(bus, ctx, [data(report)]);
      case 'text':
        return this.complete(bus, ctx, [text('plain words from the agent')]);
      case 'huge':
        // Over the 1 MB output cap, well under the 16 MB read limit.
        return this.complete(bus, ctx, [data({ ...report, padding: 'x'.repeat(1_500_000) })]);
      case 'failing':
        this.status(bus, ctx, TaskState.TASK_STATE_WORKING);
        return this.status(
          bus,
          ctx,
          TaskState.TASK_STATE_FAILED,
          agentMessage(ctx.taskId, ctx.contextId, [text('the model backend is down')]),
        );
      case 'reject':
        return this.status(
          bus,
          ctx,
          TaskState.TASK_STATE_REJECTED,
          agentMessage(ctx.taskId, ctx.contextId, [text('I do not take this kind of work')]),
        );
      case 'ask':
        if (!ctx.task) {
          this.status(bus, ctx, TaskState.TASK_STATE_WORKING);
          return this.status(
            bus,
            ctx,
            TaskState.TASK_STATE_INPUT_REQUIRED,
            agentMessage(ctx.taskId, ctx.contextId, [text('Which currency should the forecast use?')]),
          );
        }
        this.status(bus, ctx, TaskState.TASK_STATE_WORKING);
        await sleep(300);
        return this.complete(bus, ctx, [data({ summary: `answered: ${textOf(msg)}`, criteria: [] })]);
      case 'slow': {
        this.status(bus, ctx, TaskState.TASK_STATE_WORKING);
        const until = Date.now() + (this.opts.slowMs ?? 5_000);
        while (Date.now() < until) {
          if (this.cancelled.has(ctx.taskId)) {
            return this.status(
              bus,
              ctx,
              TaskState.TASK_STATE_CANCELED,
              agentMessage(ctx.taskId, ctx.contextId, [text('cancelled by the client')]),
            );
          }
          await sleep(100);
        }
        return this.complete(bus, ctx, [data(report)]);
      }
    }
  }
}

export async function startA2aServer(opts: A2aServerOptions): Promise<A2aTestServer> {
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sends: Sent[] = [];
  const tasksStarted: string[] = [];
  const cancels: string[] = [];
  const waiters: { n: number; resolve: (id: string) => void }[] = [];
  const stats = { gets: 0 };
  const card: AgentCard = {
    name: opts.name ?? 'Test Report Agent',
    description: 'Writes reports for tests',
    supportedInterfaces: [
      {
        url: opts.serviceUrl ?? `${base}/a2a`,
        protocolBinding: 'JSONRPC',
        tenant: '',
        protocolVersion: '1.0',
      },
    ],
    provider: undefined,
    version: '2.1.0',
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: (opts.skills ?? [{ id: 'report', name: 'Reports', tags: ['analytics', 'data'] }]).map((s) => ({
      description: '',
      examples: [],
      inputModes: [],
      outputModes: [],
      securityRequirements: [],
      ...s,
    })),
    signatures: [],
  };
  const executor = new TestExecutor(opts, (id) => {
    tasksStarted.push(id);
    for (const w of waiters.filter((x) => x.n <= tasksStarted.length)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(tasksStarted[w.n - 1]!);
    }
  });
  class RecordingHandler extends DefaultRequestHandler {
    override async sendMessage(
      params: Parameters<DefaultRequestHandler['sendMessage']>[0],
      ctx: ServerCallContext,
    ) {
      const m = params.message!;
      sends.push({
        messageId: m.messageId,
        contextId: m.contextId,
        taskId: m.taskId,
        text: textOf(m),
        data: dataOf(m),
      });
      const answer = await super.sendMessage(params, ctx);
      if (opts.answerDelayMs) await sleep(opts.answerDelayMs);
      return answer;
    }
    override async getTask(params: Parameters<DefaultRequestHandler['getTask']>[0], ctx: ServerCallContext) {
      stats.gets += 1;
      return super.getTask(params, ctx);
    }
    override async cancelTask(
      params: Parameters<DefaultRequestHandler['cancelTask']>[0],
      ctx: ServerCallContext,
    ) {
      cancels.push(params.id);
      return super.cancelTask(params, ctx);
    }
  }
  const requestHandler = new RecordingHandler(card, new InMemoryTaskStore(), executor);
  if (opts.requireHeader) {
    const { name, value } = opts.requireHeader;
    app.use((req, res, next) => {
      if (req.get(name) !== value) {
        res.status(401).json({ error: 'unauthorized' });
        return;
      }
      next();
    });
  }
  if (opts.rawCard) {
    const raw = opts.rawCard(base);
    app.get(`/${AGENT_CARD_PATH}`, (_req, res) => {
      res.json(raw);
    });
  } else {
    app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
  }
  app.use('/a2a', jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
  return {
    base,
    cardUrl: `${base}/${AGENT_CARD_PATH}`,
    sends,
    tasksStarted,
    get gets() {
      return stats.gets;
    },
    cancels,
    started: (n, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const id = tasksStarted[n - 1];
        if (id) return resolve(id);
        const timer = setTimeout(
          () => reject(new Error(`the A2A agent started ${tasksStarted.length} tasks, not ${n}`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (x) => {
            clearTimeout(timer);
            resolve(x);
          },
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
