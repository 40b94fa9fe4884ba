// One Prometheus endpoint per worker process: GET /metrics serves Arbiter's series (prom-client)
// followed by the Temporal SDK's own, fetched from Core's exporter on its loopback port. Both are
// the Prometheus text format and their names never collide (arbiter_*, process_*, nodejs_* vs
// temporal_*), so concatenating them is a valid exposition.
import { createServer, type Server } from 'node:http';
import { arbiterMetrics } from './arbiterMetrics.js';
import { sdkExporterAddress } from './sdkRuntime.js';

/** A scrape must stay cheap even when Core's exporter hangs. */
const SDK_FETCH_TIMEOUT_MS = 2_000;

export interface MetricsEndpoint {
  /** e.g. http://127.0.0.1:9464/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

async function sdkMetrics(): Promise<string> {
  const address = sdkExporterAddress();
  if (!address) {
    return '# Temporal SDK metrics: not exported by this process (its SDK runtime was in use before the metrics endpoint started)\n';
  }
  try {
    const res = await fetch(`http://${address}/metrics`, {
      signal: AbortSignal.timeout(SDK_FETCH_TIMEOUT_MS),
    });
    if (!res.ok) return `# Temporal SDK metrics: exporter answered ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# Temporal SDK metrics: exporter unreachable (${(err as Error).message})\n`;
  }
}

/** The full exposition: Arbiter's series, then the SDK's. */
export async function scrape(): Promise<string> {
  const [own, sdk] = await Promise.all([arbiterMetrics().registry.metrics(), sdkMetrics()]);
  return `${own.endsWith('\n') ? own : `${own}\n`}${sdk}`;
}

function listen(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('Arbiter serves Prometheus metrics at /metrics\n');
        return;
      }
      scrape().then(
        (body) => res.writeHead(200, { 'content-type': arbiterMetrics().registry.contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
    });
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // A metrics endpoint never keeps a finished process alive.
      server.unref();
      resolve(server);
    });
  });
}

let started: Promise<MetricsEndpoint | undefined> | undefined;

/**
 * Starts the process's endpoint once; later calls get the same one (several workers in one
 * process share it). A port already taken is a warning, never a reason to stop a worker.
 */
export function startMetricsEndpoint(
  where: { host: string; port: number },
  log: (line: string) => void,
): Promise<MetricsEndpoint | undefined> {
  return (started ??= listen(where.host, where.port).then(
    (server) => {
      const port = (server.address() as { port: number }).port;
      const shown = where.host === '0.0.0.0' || where.host === '::' ? 'localhost' : where.host;
      log(`Prometheus metrics at http://${shown}:${port}/metrics`);
      return {
        url: `http://${shown}:${port}/metrics`,
        port,
        close: () =>
          new Promise<void>((resolve) => {
            started = undefined;
            server.close(() => resolve());
          }),
      };
    },
    (err: NodeJS.ErrnoException) => {
      // Remembered: the process's other workers do not try (and warn) again.
      log(
        `metrics: cannot serve on ${where.host}:${where.port} (${err.code ?? err.message}); this worker runs without ` +
          'a /metrics endpoint. Set ARBITER_METRICS_PORT to a free port, or to off.',
      );
      return undefined;
    },
  ));
}

/** The endpoint this process serves, if any. */
export function currentMetricsEndpoint(): Promise<MetricsEndpoint | undefined> {
  return started ?? Promise.resolve(undefined);
}
