// The OpenTelemetry SDK side of tracing.ts, loaded only when tracing is on: these packages take a
// fifth of a second to load, which no CLI command should pay for nothing.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export function startTracing(kind: 'otlp' | 'console') {
  // The OTLP exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT and _HEADERS itself.
  const exporter: SpanExporter = kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': 'arbiter' }))
    .merge(envDetectorSync.detect()) as Resource;
  const spanProcessor = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // The interceptors read the active context and propagate it through Temporal headers: both need
  // a real context manager and propagator, not the API's no-op defaults.
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  const activity: ActivityInterceptorsFactory = (ctx) => ({
    inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
    outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
  });
  return {
    provider,
    clientInterceptor: () => new OpenTelemetryWorkflowClientInterceptor(),
    activity,
    /** The sink workflow spans leave the workflow sandbox by (named as the workflow module expects). */
    sinks: { exporter: makeWorkflowExporter(spanProcessor, resource) },
  };
}

export type TracingSdk = ReturnType<typeof startTracing>;
