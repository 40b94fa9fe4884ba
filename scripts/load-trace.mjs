// A load trace: which files a Node process loaded, for checking that a command imports only what it
// needs. Preload it and name an output file:
//
//   ARBITER_LOAD_TRACE=/tmp/trace.txt node --import ./scripts/load-trace.mjs bin/arbiter.js --help
//
// The file gets one URL or path per line: every ES module the process resolved (through a resolve
// hook, which sees static and dynamic imports) and, when it exits, every CommonJS module in the
// require cache (CommonJS requires do not pass through ES module hooks on Node 20). Plain Node, no
// dependencies.
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.ARBITER_LOAD_TRACE;
if (out) {
  writeFileSync(out, '');
  const hook = `
    import { appendFileSync } from 'node:fs';
    export async function resolve(specifier, context, next) {
      const resolved = await next(specifier, context);
      appendFileSync(${JSON.stringify(out)}, resolved.url + '\\n');
      return resolved;
    }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  const require = createRequire(import.meta.url);
  process.once('exit', () => {
    const cjs = Object.keys(require.cache);
    if (cjs.length) appendFileSync(out, `${cjs.join('\n')}\n`);
  });
}
