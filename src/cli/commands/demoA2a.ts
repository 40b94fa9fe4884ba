// The demo's A2A part: it starts the example A2A agent (examples/a2a/glossaryAgent.ts, the official
// SDK's server side) on loopback, registers it in an agents file of the demo's own (the configured
// agents plus this one, region eu, clearance public), and runs a contract that policy can only
// give to it (examples/a2a/gdpr-glossary.yaml: region eu). The agent is stopped with the demo.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, isSeq, parseDocument } from 'yaml';
import type { Arbiter } from '../../client.js';
import { loadContract } from '../../config/files.js';
import type { Config } from '../../config/settings.js';
import { webUiLink } from '../output.js';

const agentModule = new URL('../../../examples/a2a/glossaryAgent.ts', import.meta.url).href;
const contractFile = fileURLToPath(new URL('../../../examples/a2a/gdpr-glossary.yaml', import.meta.url));

interface GlossaryAgent {
  cardUrl: string;
  close(): Promise<void>;
}

export interface DemoA2a {
  /** The demo's config: the same, with the agents file that registers the A2A agent. */
  config: Config;
  /** Runs the A2A agent's contract and prints what happened. */
  run(arbiter: Arbiter, suffix: string, say: (line?: string) => void, uiUrl: string): Promise<void>;
  stop(): Promise<void>;
}

/** The configured agents file with the example A2A agent appended, written into the data dir. */
function demoAgentsFile(config: Config, cardUrl: string): string {
  const doc = parseDocument(readFileSync(config.agentsFile, 'utf8'));
  const agents = doc.get('agents');
  if (!isSeq(agents)) throw new Error(`${config.agentsFile}: agents: must be a list`);
  const entry = new Document().createNode({
    id: 'eu-glossary',
    description:
      'Example A2A agent (examples/a2a): defines GDPR terms with their articles, deterministically.',
    capabilities: { domains: ['legal', 'research'] },
    endpoint: { kind: 'a2a', card: cardUrl, skill: 'glossary' },
    clearance: 'public',
    region: 'eu',
  });
  entry.commentBefore = ' Added by `arbiter demo`: the example A2A agent it started on loopback.';
  agents.items.push(entry);
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'demo-agents.yaml');
  writeFileSync(file, doc.toString());
  return file;
}

/** Starts the example agent; undefined (with the reason logged) when it cannot run here. */
export async function startDemoA2a(
  config: Config,
  log: (line: string) => void,
): Promise<DemoA2a | undefined> {
  let agent: GlossaryAgent;
  try {
    // The example is TypeScript and the CLI runs compiled: tsx (a development dependency, like the
    // example's express) loads it.
    const { tsImport } = await import('tsx/esm/api');
    const mod = (await tsImport(agentModule, import.meta.url)) as {
      startGlossaryAgent: (opts: { unref: boolean }) => Promise<GlossaryAgent>;
    };
    agent = await mod.startGlossaryAgent({ unref: true });
  } catch (err) {
    // tsx and express are development dependencies: an install without them runs the demo without this part.
    log(`the example A2A agent is not started (${(err as Error).message.split('\n')[0]})`);
    return undefined;
  }
  log(`example A2A agent "EU Privacy Glossary" on ${agent.cardUrl}`);
  return {
    config: { ...config, agentsFile: demoAgentsFile(config, agent.cardUrl) },
    stop: () => agent.close(),
    async run(arbiter, suffix, say, uiUrl) {
      const contract = loadContract(contractFile);
      contract.id = `${contract.id}-${suffix}`;
      say(`A2A agent: ${contract.id} (examples/a2a/gdpr-glossary.yaml, region eu)`);
      const { workflowId } = await arbiter.submitContract(contract);
      const s = await arbiter.contractResult(workflowId);
      const glossary = (s.output as { glossary?: { term: string }[] } | undefined)?.glossary ?? [];
      say(
        `  route ${s.decision?.route}  policies ${s.decision?.policyIds.join(', ') || 'default deny'}  agent ${s.agentId ?? '-'}  outcome ${s.outcome}${s.reason ? ` (${s.reason})` : ''}`,
      );
      if (glossary.length) say(`  glossary: ${glossary.map((g) => g.term).join(', ')}`);
      say(`  Web UI ${webUiLink(uiUrl, arbiter.config.namespace, workflowId)}`);
    },
  };
}
