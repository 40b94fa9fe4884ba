// OpenTelemetry tracing on the real server: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a small
// local OTLP/HTTP receiver, a contract submitted through the client library and run by a worker
// from createWorker arrives as one trace: the client's start, the workflow and its activities.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { Arbiter } from '../../src/client.js';
import type { Config } from '../../src/config/settings.js';
import { freePort } from '../../src/config/freePort.js';
import { flushTracing, tracesExporterFromEnv } from '../../src/observability/tracing.js';
import { loadContract } from '../../src/config/files.js';
import { connectWorker, createWorker } from '../../src/worker.js';
import { repoFile, testConfig } from '../support/temporal.js';

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}
interface TraceExport {
  resourceSpans: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: Span[] }[];
  }[];
}

const received: TraceExport[] = [];
let receiver: Server;
let config: Config;
let worker: Worker;
let running: Promise<void>;
let client: Arbiter;
const id = `traced-${Date.now().toString(36)}`;

const spans = () =>
  received.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));

beforeAll(async () => {
  // An OTLP/HTTP receiver: the JSON exporter POSTs ExportTraceServiceRequest documents to /v1/traces.
  const port = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        received.push(JSON.parse(body) as TraceExport);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
  // Before anything reads it: tracing is set up once per process, on first use.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_SERVICE_NAME = 'arbiter-tracing-test';

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // Metrics off: tracing stands on its own.
  config = { ...testConfig(), metrics: undefined };
  const connection = await connectWorker(config);
  // No prebuilt bundle: the worker bundles the workflows with the tracing interceptor module.
  worker = await createWorker({ config }, connection);
  running = worker.run().finally(() => connection.close());
  client = await Arbiter.connect(config);
}, 240_000);

afterAll(async () => {
  await client?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  receiver?.close();
});

describe('OpenTelemetry tracing', () => {
  it('is off unless the environment asks for an exporter', () => {
    expect(tracesExporterFromEnv({})).toBe('none');
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(
      tracesExporterFromEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_TRACES_EXPORTER: 'none',
      }),
    ).toBe('none');
    expect(() => tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      /OTEL_TRACES_EXPORTER "jaeger" is not supported; use otlp/,
    );
  });

  it('exports the submission, the workflow and its activities as one trace', async () => {
    const contract = loadContract(repoFile('examples/contracts/analytics-dashboard.yaml'));
    await client.submitContract({ ...contract, id });
    expect((await client.contractResult(id)).outcome).toBe('SUCCEEDED');

    const names = () => spans().map((s) => s.name);
    await expect
      .poll(
        async () => {
          await flushTracing();
          return names();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toEqual(
        expect.arrayContaining([
          'StartWorkflow:contractWorkflow',
          'RunWorkflow:contractWorkflow',
          'RunActivity:classify',
          'RunActivity:evaluatePolicy',
          'RunActivity:executeAgent',
        ]),
      );

    const start = spans().find((s) => s.name === 'StartWorkflow:contractWorkflow')!;
    const run = spans().find((s) => s.name === 'RunWorkflow:contractWorkflow')!;
    const trace = spans().filter((s) => s.traceId === start.traceId);
    // The workflow is a child of the client's start; every step of the contract is in that trace.
    expect(run.traceId).toBe(start.traceId);
    expect(run.parentSpanId).toBe(start.spanId);
    for (const step of ['classify', 'evaluatePolicy', 'selectAgent', 'executeAgent', 'validateOutput']) {
      expect(trace.map((s) => s.name)).toContain(`RunActivity:${step}`);
    }
    // The activity spans hang under the workflow's scheduling spans, not beside the trace.
    const ids = new Set(trace.map((s) => s.spanId));
    for (const s of trace.filter((x) => x.name.startsWith('RunActivity:'))) {
      expect(ids.has(s.parentSpanId ?? '')).toBe(true);
    }
    const services = received.flatMap((r) =>
      r.resourceSpans.flatMap(
        (rs) =>
          rs.resource?.attributes?.filter((a) => a.key === 'service.name').map((a) => a.value.stringValue) ??
          [],
      ),
    );
    expect(new Set(services)).toEqual(new Set(['arbiter-tracing-test']));
  });
});
