// `openai`-kind agents: any OpenAI-compatible server. The contract and prerequisite input go in
// as the user message; when the contract has an outputSchema, structured output is requested.
import { createLlmClient, categorize, type LlmSettings } from '../llm/client.js';
import { agentFailure } from '../shared/failures.js';
import type { AgentCall, AgentResult } from './types.js';

export async function runOpenAi(call: AgentCall, settings: LlmSettings): Promise<AgentResult> {
  const endpoint = call.agent.endpoint;
  if (endpoint.kind !== 'openai') throw agentFailure('refused', 'not an openai agent');
  const client = createLlmClient(settings, endpoint.baseUrl);
  const { contract } = call;
  const user = JSON.stringify({
    title: contract.title,
    objective: contract.objective,
    acceptanceCriteria: contract.acceptanceCriteria,
    inputs: contract.inputs ?? null,
    input: call.input ?? null,
  });
  try {
    const res = await client.chat.completions.create(
      {
        model: endpoint.model,
        messages: [
          { role: 'system', content: `${endpoint.systemPrompt}\nAnswer with one JSON object.` },
          { role: 'user', content: user },
        ],
        response_format: contract.outputSchema
          ? {
              type: 'json_schema',
              json_schema: { name: 'output', schema: contract.outputSchema, strict: true },
            }
          : { type: 'json_object' },
      },
      { signal: call.signal },
    );
    const text = res.choices[0]?.message?.content;
    if (!text) throw agentFailure('invalid-output', 'the model returned no content');
    let output: unknown;
    try {
      output = JSON.parse(text);
    } catch {
      throw agentFailure('invalid-output', `the model returned text that is not JSON: ${text.slice(0, 120)}`);
    }
    return {
      output,
      usage: {
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
      },
    };
  } catch (err) {
    if (err instanceof Error && err.name === 'ApplicationFailure') throw err;
    throw agentFailure(categorize(err), `${endpoint.model}: ${(err as Error).message}`);
  }
}
