#!/usr/bin/env node
// The `arbiter` command: runs the compiled build in dist/ (`npm run setup` or `npm run build` makes
// it). Plain Node and cheap, because it runs before every command: a missing build is a clear
// message, and in a source checkout a source file newer than the build earns a one-line warning.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildInfo = join(root, 'dist', 'build.json');

if (!existsSync(buildInfo)) {
  process.stderr.write(
    'arbiter: this checkout has no compiled build (dist/ is missing or incomplete).\n' +
      '  run `npm run setup` (installs everything and builds) or `npm run build`, then try again.\n',
  );
  process.exit(1);
}

/** The first file under src/ changed after the last build, if any (file times only: milliseconds). */
function newerSource() {
  const src = join(root, 'src');
  if (!existsSync(src)) return undefined; // an image or package ships dist/ alone
  const builtAt = statSync(buildInfo).mtimeMs;
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    const stat = statSync(join(src, file));
    if (stat.isFile() && stat.mtimeMs > builtAt) return join('src', file);
  }
  return undefined;
}

const newer = newerSource();
if (newer) {
  process.stderr.write(
    `arbiter: ${newer} changed after the last build; this runs the previous build (run \`npm run build\`)\n`,
  );
}
if (process.env.ARBITER_DEBUG) process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href);
