// `npm run cluster [-- options]`: Arbiter on a production-shape Temporal cluster on this machine.
//
//   npm run cluster                       build or reuse the server, start everything, Ctrl-C stops it
//   npm run cluster -- --workers 3        three `arbiter worker` processes (default 2)
//   npm run cluster -- --keep             start, print where everything is, leave it running
//   npm run cluster -- stop [--purge]     stop a kept cluster (--purge also deletes its data)
//
// Options: --data-dir DIR (default .arbiter/cluster), --port N (frontend), --pg-port N.
// Idempotent like setup: the server build, the PostgreSQL data and the schemas are reused.
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { DEFAULT_DATA_DIR, runningCluster, startCluster, stopCluster, type Cluster } from './cluster.js';
import { SERVICES, TEMPORAL_SERVER_VERSION } from './spec.js';
import { repoRoot } from './build.mjs';

const say = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

function usage(problem: string): never {
  process.stderr.write(
    `npm run cluster: ${problem}\n` +
      'usage: npm run cluster -- [--workers N] [--keep] [--data-dir DIR] [--port N] [--pg-port N]\n' +
      '       npm run cluster -- stop [--data-dir DIR] [--purge]\n',
  );
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        workers: { type: 'string', default: '2' },
        keep: { type: 'boolean', default: false },
        'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
        port: { type: 'string' },
        'pg-port': { type: 'string' },
        purge: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) usage(`${flag} ${value}: expected a port number (1-65535)`);
  return n;
}

function describe(c: Cluster, keep: boolean): string {
  const rel = (p: string) => {
    const r = relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  const lines = [
    '',
    `Arbiter on a Temporal ${TEMPORAL_SERVER_VERSION} cluster (PostgreSQL persistence and SQL visibility, 16 history shards)`,
    `  Temporal frontend  ${c.address}  namespace ${c.namespace}`,
    `  services           ${SERVICES.map((s) => `${s} pid ${c.services[s].pid}`).join(', ')}`,
    `  PostgreSQL         127.0.0.1:${c.db.port}, user ${c.db.user} (password in ${rel(c.dataDir)}/cluster.json), databases temporal, temporal_visibility`,
    `  Arbiter workers    ${c.workers.length} on task queue "${c.taskQueue}"${c.workers.length ? ':' : ''}`,
    ...c.workers.map(
      (w) => `                     pid ${w.process.pid}, metrics http://127.0.0.1:${w.metricsPort}/metrics`,
    ),
    `  logs               ${rel(c.dataDir)}/logs/   data ${rel(c.dataDir)}/`,
    '  Web UI             none on this cluster (no UI binary is available offline); docker compose runs one',
    '',
    'Point the CLI (or more workers) at it:',
    `  export TEMPORAL_ADDRESS=${c.address}`,
    '  npx arbiter submit --file examples/contracts/quarterly-forecast.yaml',
    '  npx arbiter reviews',
    '',
    keep ? 'Left running: `npm run cluster -- stop` stops it.' : 'Ctrl-C stops everything.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parse();
  const dataDir = values['data-dir'];
  const [command = 'start', ...rest] = positionals;
  if (rest.length > 0) usage(`unexpected ${rest.join(' ')}`);
  if (command === 'stop') {
    const was = await stopCluster(dataDir, { purge: values.purge });
    say(was ? `stopped the cluster of ${dataDir}` : `no cluster was running from ${dataDir}`);
    return;
  }
  if (command !== 'start') usage(`unknown command "${command}" (start or stop)`);
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 16)
    usage(`--workers ${values.workers}: expected 0 to 16`);
  const running = runningCluster(dataDir);
  if (running) {
    say(`a cluster from ${dataDir} is already running at ${running.address}`);
    say(`  export TEMPORAL_ADDRESS=${running.address}    (npm run cluster -- stop stops it)`);
    return;
  }
  const t0 = Date.now();
  const cluster = await startCluster({
    dataDir,
    workers,
    frontendPort: port(values.port, '--port'),
    pgPort: port(values['pg-port'], '--pg-port'),
    log: say,
    stopWhenOwnerDies: values.keep ? false : { purge: false },
  });
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(describe(cluster, values.keep));
  if (values.keep) {
    process.exit(0);
  }
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping workers, Temporal services and PostgreSQL`);
    cluster.stop().then(
      () => {
        say('stopped');
        process.exit(0);
      },
      (err: Error) => {
        say(`stop failed: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('Ctrl-C'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A service or worker that dies on its own is reported; the rest keeps running.
  for (const p of [...Object.values(cluster.services), ...cluster.workers.map((w) => w.process)]) {
    void p.exited.then(({ code, signal }) => {
      if (!stopping)
        say(
          `${p.name} (pid ${p.pid}) exited (${signal ?? `code ${code}`}); log: ${relative(repoRoot, p.logFile)}`,
        );
    });
  }
  // Keep the event loop alive until a signal.
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: Error) => {
  say(err.message);
  process.exit(1);
});
