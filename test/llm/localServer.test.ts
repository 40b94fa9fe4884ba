// The embedded local LLM, end to end: the real server, the real SmolLM2 and all-MiniLM-L6-v2
// weights provisioned by scripts/setup.mjs, and the real OpenAI SDK as the client. Nothing is mocked.
import { Ajv } from 'ajv';
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalModelServer, type LocalModelServer } from '../../src/llm/localServer.js';
import { localModelPath } from '../../src/llm/modelPath.js';

const classification = {
  type: 'object',
  properties: {
    domain: { type: 'string', enum: ['finance', 'data', 'legal'] },
    confidence: { type: 'number' },
  },
  required: ['domain', 'confidence'],
  additionalProperties: false,
} as const;

const classifyMessages = [
  { role: 'system', content: 'You classify work requests. Answer with JSON only.' },
  { role: 'user', content: 'Classify this request: "Build a quarterly revenue forecast from the ledger".' },
] as const;

let server: LocalModelServer;
let client: OpenAI;

beforeAll(async () => {
  const modelPath = localModelPath();
  if (!modelPath) throw new Error('the local model is not provisioned: run `node scripts/setup.mjs`');
  const started = Date.now();
  server = await startLocalModelServer({ port: 0, modelPath });
  console.info(`local model loaded in ${Date.now() - started} ms at ${server.baseURL}`);
  client = new OpenAI({ baseURL: server.baseURL, apiKey: 'local', maxRetries: 0, timeout: 120_000 });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

describe('local OpenAI-compatible model server', () => {
  it('lists its models', async () => {
    expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual([server.model, server.embeddingModel]);
    expect(models.data[0]).toMatchObject({ id: 'smollm2-135m-instruct', object: 'model', owned_by: 'local' });
    expect(server.embeddingModel).toBe('all-minilm-l6-v2');
  });

  it('answers /v1/embeddings as the OpenAI SDK asks (base64), with vectors that put like meanings close', async () => {
    const res = await client.embeddings.create({
      model: 'all-minilm-l6-v2',
      input: ['A man is eating food.', 'A man is eating a piece of bread.', 'The new movie is awesome.'],
    });
    expect(res.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 384],
      [1, 384],
      [2, 384],
    ]);
    expect(res.usage.prompt_tokens).toBeGreaterThan(10);
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, x, i) => s + x * b[i]!, 0) /
      Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
    const [food, bread, movie] = res.data.map((d) => d.embedding);
    // sentence-transformers gives 0.7553 for this pair with the original PyTorch weights.
    expect(cos(food!, bread!)).toBeCloseTo(0.7553, 2);
    expect(cos(food!, movie!)).toBeLessThan(0.2);
  });

  it('answers float embeddings when asked, and refuses an input longer than the model holds', async () => {
    const res = await client.embeddings.create({ model: 'x', input: 'hello', encoding_format: 'float' });
    expect(res.data[0]?.embedding).toHaveLength(384);
    const tooLong = client.embeddings.create({ model: 'x', input: 'word '.repeat(600) });
    await expect(tooLong).rejects.toMatchObject({ status: 400 });
  });

  it('answers a json_schema request with JSON that validates against the schema, with real usage', async () => {
    const started = Date.now();
    const completion = await client.chat.completions.create({
      model: server.model,
      messages: [...classifyMessages],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'classification', schema: classification },
      },
      max_tokens: 100,
    });
    console.info(`json_schema completion in ${Date.now() - started} ms`);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('smollm2-135m-instruct');
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.role).toBe('assistant');
    const parsed: unknown = JSON.parse(choice?.message.content ?? '');
    const validate = new Ajv({ strict: false }).compile(classification);
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    const usage = completion.usage;
    expect(usage?.prompt_tokens).toBeGreaterThan(20); // the chat template and both messages
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it('answers json_object requests with a JSON object, serving concurrent requests one after another', async () => {
    const ask = (topic: string) =>
      client.chat.completions.create({
        model: 'any-name-is-served-by-the-local-model',
        messages: [{ role: 'user', content: `Describe ${topic} as a JSON object with a "name" field.` }],
        response_format: { type: 'json_object' },
        max_tokens: 60,
      });
    const answers = await Promise.all([ask('a cat'), ask('a city')]);
    for (const answer of answers) {
      const content = answer.choices[0]?.message.content ?? '';
      // Either a complete object, or cut off by max_tokens and said so.
      if (answer.choices[0]?.finish_reason === 'stop') expect(typeof JSON.parse(content)).toBe('object');
      else expect(answer.choices[0]?.finish_reason).toBe('length');
      expect(content.trimStart().startsWith('{')).toBe(true);
    }
  });

  it('stops at max_tokens and reports finish_reason length', async () => {
    const completion = await client.chat.completions.create({
      model: server.model,
      messages: [{ role: 'user', content: 'Write a long story about a lighthouse keeper.' }],
      max_tokens: 5,
    });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(5);
    expect(completion.choices[0]?.message.content).toBeTruthy();
  });

  it('refuses a malformed body with 400 and an OpenAI-shaped error', async () => {
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "x", "messages": [',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/not valid JSON/);
  });

  it('refuses a request without messages with 400, which the SDK surfaces as BadRequestError', async () => {
    const call = client.chat.completions.create({ model: server.model, messages: [] });
    await expect(call).rejects.toBeInstanceOf(BadRequestError);
    await expect(call).rejects.toMatchObject({ status: 400 });
  });

  it('answers 404 on an unknown path', async () => {
    const res = await fetch(`${server.baseURL}/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
  });
});
