// Runs the real `arbiter` command in a child process and captures what a user would see.
import { spawn } from 'node:child_process';
import { repoFile } from './temporal.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function arbiter(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [repoFile('bin/arbiter.js'), ...args], {
      cwd: repoFile(''),
      env: { ...process.env, ARBITER_LOG_LEVEL: 'ERROR', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A user mistake never shows a stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+:\d+:\d+\)?$/m.test(text);
}
