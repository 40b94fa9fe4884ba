// Runs the embedded local LLM as a standalone OpenAI-compatible server:
//   npx tsx scripts/llm-server.ts [--port 8080] [--host 127.0.0.1]
// then point any OpenAI client at it: OPENAI_BASE_URL=http://127.0.0.1:8080/v1
import { parseArgs } from 'node:util';
import { startLocalModelServer } from '../src/llm/localServer.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } },
});
const started = Date.now();
const server = await startLocalModelServer({ port: Number(values.port), host: values.host });
process.stderr.write(`local model ${server.model} ready in ${Date.now() - started} ms: ${server.baseURL}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.stop().then(() => process.exit(0));
  });
}
