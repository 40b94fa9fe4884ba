// `--json` output: one document on stdout. Its own module because commands that never touch
// Temporal (`check`) use it, and ./output.ts brings in the client library's types and helpers.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
