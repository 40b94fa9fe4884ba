// OpenTelemetry tracing through @temporalio/interceptors-opentelemetry: the client's start of a
// contract, the workflow (and its children) and every activity are spans of one trace. Opt-in by
// the standard environment: nothing is loaded, bundled or exported unless
// OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_TRACES_EXPORTER asks for it.
import { createRequire } from 'node:module';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import { badInput } from '../shared/errors.js';
import type { TracingSdk } from './tracingSdk.js';

const EXPORTERS = ['otlp', 'console', 'none'] as const;
type ExporterKind = (typeof EXPORTERS)[number];

/** Which exporter the environment asks for; `none` when tracing is off (the default). */
export function tracesExporterFromEnv(env: NodeJS.ProcessEnv = process.env): ExporterKind {
  if (env.OTEL_SDK_DISABLED === 'true') return 'none';
  const named = env.OTEL_TRACES_EXPORTER?.trim();
  if (named) {
    if (!(EXPORTERS as readonly string[]).includes(named)) {
      throw badInput(
        `environment: OTEL_TRACES_EXPORTER "${named}" is not supported; use otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT), console or none`,
      );
    }
    return named as ExporterKind;
  }
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : 'none';
}

let sdk: Promise<TracingSdk | null> | undefined;

/**
 * The process's tracer provider, registered globally the first time tracing is asked for; null
 * when tracing is off. The environment is read once per process.
 */
export function ensureTracing(): Promise<TracingSdk | null> {
  return (sdk ??= (async () => {
    const kind = tracesExporterFromEnv();
    if (kind === 'none') return null;
    const { startTracing } = await import('./tracingSdk.js');
    const started = startTracing(kind);
    // Short-lived CLI processes (submit, approve) end when their work is done: send what is buffered.
    process.once('beforeExit', () => void started.provider.shutdown().catch(() => undefined));
    return started;
  })());
}

/** Sends buffered spans now (tests, and processes about to exit). */
export async function flushTracing(): Promise<void> {
  await (await sdk)?.provider.forceFlush();
}

/** Client interceptors for `new Client({ interceptors })`; undefined when tracing is off. */
export async function tracingClientInterceptors(): Promise<
  { workflow: WorkflowClientInterceptor[] } | undefined
> {
  const t = await ensureTracing();
  return t ? { workflow: [t.clientInterceptor()] } : undefined;
}

const require = createRequire(import.meta.url);

/**
 * The workflow-side interceptor module, for `bundleWorkflowCode({ workflowInterceptorModules })`
 * and `WorkerOptions.interceptors.workflowModules`; empty when tracing is off (by default, as the
 * environment says), so a bundle built without tracing carries none of it.
 */
export function tracingWorkflowModules(on: boolean = tracesExporterFromEnv() !== 'none'): string[] {
  return on ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : [];
}

/** What a worker adds when tracing is on: activity interceptors, the workflow module and its sink. */
export async function tracingWorkerParts(): Promise<
  | {
      activity: ActivityInterceptorsFactory[];
      workflowModules: string[];
      sinks: InjectedSinks<OpenTelemetrySinks>;
    }
  | undefined
> {
  const t = await ensureTracing();
  return t
    ? { activity: [t.activity], workflowModules: tracingWorkflowModules(), sinks: t.sinks }
    : undefined;
}
