// `arbiter agents import <card URL> [--write FILE]`: reads an A2A agent's Agent Card and prints an
// agents.yaml entry for the operator to review (capabilities suggested from skill tags, clearance
// public, no trust). With --write, the entry is appended to FILE only if the whole resulting file
// is a valid agents file; otherwise nothing is written and the problem is named (exit 2).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument as parseYamlDocument, Document, YAMLSeq } from 'yaml';
import { AgentCardError } from '../../agents/a2a/errors.js';
import { fetchCard } from '../../agents/a2a/fetchCard.js';
import { entryComment, suggestEntry } from '../../agents/a2a/entry.js';
import { readDocument, validate } from '../../config/files.js';
import { loadConfig } from '../../config/settings.js';
import { AgentsFile } from '../../shared/agent.js';
import { badInput } from '../../shared/errors.js';
import { RuleSet } from '../../shared/rules.js';

/** The file with `entry` appended to its agents list, keeping its comments and layout. */
function appended(file: string, entry: object, comment: string[]): Document {
  const doc = existsSync(file)
    ? parseYamlDocument(readFileSync(file, 'utf8'), { uniqueKeys: true })
    : new Document({ agents: [] });
  if (doc.errors.length) throw badInput(`${file}: not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) throw badInput(`${file}: not an agents file (no top-level agents list)`);
  let list = doc.get('agents');
  if (list === undefined) {
    doc.set('agents', new YAMLSeq());
    list = doc.get('agents');
  }
  if (!isSeq(list)) throw badInput(`${file}: agents: must be a list`);
  const node = doc.createNode(entry);
  node.commentBefore = comment.map((l) => ` ${l}`).join('\n');
  list.items.push(node);
  return doc;
}

/** `arbiter agents import CARD_URL [--write FILE]`. */
export async function agentsImport(cardUrl: string, opts: { write?: string }): Promise<void> {
  {
    {
      const config = loadConfig();
      let info;
      try {
        info = await fetchCard(cardUrl);
      } catch (err) {
        if (err instanceof AgentCardError) {
          throw badInput(err.message, err.field ? [`card field: ${err.field}`] : []);
        }
        throw err;
      }
      const rules = validate(
        RuleSet,
        readDocument(config.rulesFile),
        config.rulesFile,
        'classification rules',
      );
      const entry = suggestEntry(info, rules);
      const comment = entryComment(info);
      if (!opts.write) {
        const doc = new Document(new YAMLSeq());
        const node = doc.createNode(entry);
        node.commentBefore = comment.map((l) => ` ${l}`).join('\n');
        (doc.contents as YAMLSeq).items.push(node);
        process.stdout.write(
          `# Paste under "agents:" in your agents file.\n${doc.toString({ lineWidth: 110 })}`,
        );
        return;
      }
      const doc = appended(opts.write, entry, comment);
      validate(AgentsFile, doc.toJS(), opts.write, 'agents file (with the imported agent)');
      writeFileSync(opts.write, doc.toString({ lineWidth: 110 }));
      process.stdout.write(
        `added agent "${entry.id}" to ${opts.write}; review its capabilities and clearance\n`,
      );
    }
  }
}
