// One factory for every LLM call. `maxRetries: 0`: Temporal's retry policy owns retries, so a
// call is never retried twice over, and every attempt is visible in the history.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, RateLimitError } from 'openai';
import type { ErrorCategory } from '../shared/failures.js';
import { LOCAL_EMBEDDING_MODEL_ID, LOCAL_MODEL_ID } from './modelIds.js';

export interface LlmSettings {
  baseURL?: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  /** The classification step's own bound: it must stay well inside its activity's timeout. */
  classifyTimeoutMs: number;
  /**
   * The sentence-embedding model that judges classification (ARBITER_EMBEDDING_MODEL); `off` asks
   * the chat model instead. Unset: the embedded local server's own embedding model when `model` is
   * its chat model, else the chat model.
   */
  embeddingModel?: string;
}

/** An LLM is configured when a server (OPENAI_BASE_URL) or a hosted key (OPENAI_API_KEY) is set. */
export const llmConfigured = (s: LlmSettings): boolean => Boolean(s.baseURL ?? s.apiKey);

export function llmSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LlmSettings {
  return {
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
    model: env.ARBITER_LLM_MODEL || 'gpt-4o-mini',
    timeoutMs: Number(env.ARBITER_LLM_TIMEOUT_MS || 60_000),
    classifyTimeoutMs: Number(env.ARBITER_CLASSIFY_TIMEOUT_MS || 20_000),
    ...(env.ARBITER_EMBEDDING_MODEL ? { embeddingModel: env.ARBITER_EMBEDDING_MODEL } : {}),
  };
}

/** The embedding model that judges classification, or undefined when the chat model does. */
export function classificationEmbeddingModel(s: LlmSettings): string | undefined {
  if (s.embeddingModel) return s.embeddingModel === 'off' ? undefined : s.embeddingModel;
  // The embedded server serves both; its chat model is too small to judge (docs/judgement.md).
  return s.model === LOCAL_MODEL_ID ? LOCAL_EMBEDDING_MODEL_ID : undefined;
}

export function createLlmClient(settings: LlmSettings, baseURL?: string): OpenAI {
  return new OpenAI({
    baseURL: baseURL ?? settings.baseURL,
    // Local OpenAI-compatible servers need no key; the SDK insists on a non-empty one.
    apiKey: settings.apiKey ?? 'not-needed',
    maxRetries: 0,
    timeout: settings.timeoutMs,
  });
}

export function categorize(err: unknown): ErrorCategory {
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof RateLimitError) return 'rate-limit';
  if (err instanceof APIConnectionError) return 'server-error';
  if (err instanceof APIError) {
    const status: number = typeof err.status === 'number' ? err.status : 0;
    if (status >= 500) return 'server-error';
    if (status === 408) return 'timeout';
    return 'refused';
  }
  if (err instanceof SyntaxError) return 'invalid-output';
  return 'unknown';
}
