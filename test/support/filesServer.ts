// The example MCP server (examples/mcp/files-server.ts) for tests: over a fresh copy of its
// folder, with a journal of every call it received, spoken to over stdio or streamable HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoFile } from './temporal.js';

export interface FilesFolder {
  root: string;
  journal: string;
}

export interface JournalEntry {
  tool: string;
  key: string | null;
  args: Record<string, unknown>;
  replayed: boolean;
}

/** A temp copy of examples/mcp/files, so writes and deletes never touch the repo. */
export function filesFolder(): FilesFolder {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-mcp-'));
  const root = join(dir, 'files');
  cpSync(repoFile('examples/mcp/files'), root, { recursive: true });
  return { root, journal: join(dir, 'journal.jsonl') };
}

/** What the server saw, call by call. */
export function journalOf(folder: FilesFolder): JournalEntry[] {
  if (!existsSync(folder.journal)) return [];
  return readFileSync(folder.journal, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JournalEntry);
}

const serverArgs = (folder: FilesFolder) => [
  '--import',
  'tsx',
  repoFile('examples/mcp/files-server.ts'),
  '--root',
  folder.root,
  '--journal',
  folder.journal,
];

/** The `tools:` entry that starts the server over stdio. */
export function stdioEntry(folder: FilesFolder, extra: Record<string, unknown> = {}) {
  return { id: 'files', command: process.execPath, args: serverArgs(folder), ...extra };
}

export interface HttpFilesServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server over streamable HTTP on a free loopback port. */
export async function startHttpFilesServer(folder: FilesFolder): Promise<HttpFilesServer> {
  const child: ChildProcess = spawn(process.execPath, [...serverArgs(folder), '--http', '0'], {
    cwd: repoFile(''),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`files-server exited (${code}): ${stderr}`)));
  });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
