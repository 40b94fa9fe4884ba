// Tool-using agents for tests: an agents file with `openai` agents that declare MCP servers, and
// the worker dependencies (real policies, pricing, registry) loaded from it.
import { loadDeps, type Deps } from '../../src/activities/deps.js';
import { agentsFile, testConfig } from './temporal.js';

export function toolAgent(
  id: string,
  endpoint: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    description: `${id}, a tool-using test agent`,
    capabilities: { domains: ['data'] },
    endpoint: { kind: 'openai', model: 'scripted', systemPrompt: 'You use tools.', ...endpoint },
    ...extra,
  };
}

/** Writes the agents (JSON is YAML) and loads a worker's dependencies with them. */
export function toolDeps(agents: Record<string, unknown>[]): Deps {
  return loadDeps(testConfig({ agentsFile: agentsFile(JSON.stringify({ agents }, null, 2)) }));
}
