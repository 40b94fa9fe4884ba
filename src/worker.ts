// The Arbiter worker: loads agents, policies and rules (bad ones stop it with exit 2), registers
// the workflows and activities, and polls the task queue until it is told to stop. Every worker
// (`arbiter worker`, `dev`, `demo`, tests, bench) goes through here, so this is also where
// observability is attached: the Prometheus endpoint (config.metrics) and, when the environment
// asks for it, OpenTelemetry tracing. The workflow code comes prebuilt (runtime/workflowBundle.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  NativeConnection,
  Worker,
  type ActivityInterceptorsFactory,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { loadDeps, type Deps } from './activities/deps.js';
import type { Config } from './config/settings.js';
import { connectionSettings, unreachable } from './config/connection.js';
import { activityMetricsInterceptor } from './observability/activityMetrics.js';
import { arbiterMetrics } from './observability/arbiterMetrics.js';
import { startMetricsEndpoint } from './observability/endpoint.js';
import { reviewQueueCounter } from './observability/reviewQueue.js';
import { ensureSdkExporter } from './observability/sdkRuntime.js';
import { tracingWorkerParts } from './observability/tracing.js';
import { dataConverterFromEnv } from './security/codec.js';
import { liveTrailSink } from './audit/replay.js';
import { workflowBundle } from './runtime/workflowBundle.js';

export { workflowsPath } from './runtime/workflowBundle.js';

export interface WorkerSetup {
  config: Config;
  deps?: Deps;
  /**
   * A workflow bundle to run instead of the one `workflowBundle()` picks for this configuration.
   * With tracing on, it must be built with `workflowInterceptorModules: tracingWorkflowModules()`.
   */
  workflowBundle?: { codePath: string };
  options?: Partial<WorkerOptions>;
}

const warn = (line: string) => process.stderr.write(`arbiter: ${line}\n`);

/**
 * Starts the process's /metrics endpoint (once) and, before the first NativeConnection, gives the
 * SDK runtime its Prometheus exporter. Returns whether metrics are served.
 */
async function serveMetrics(config: Config): Promise<boolean> {
  if (!config.metrics) return false;
  const endpoint = await startMetricsEndpoint(config.metrics, warn);
  if (!endpoint) return false;
  await ensureSdkExporter().catch((err: Error) =>
    warn(`metrics: the Temporal SDK's own metrics are not exported (${err.message})`),
  );
  return true;
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const settings = connectionSettings(config);
  await serveMetrics(config);
  try {
    return await NativeConnection.connect(settings);
  } catch (err) {
    throw unreachable(settings.address, err);
  }
}

let bundleWarned = false;

/**
 * The activity interceptors every worker that runs Arbiter's activities carries (the main worker and
 * the agent pools): tracing outermost, so the metrics interceptor's work is inside the activity's
 * span, then Arbiter's metrics.
 */
export async function observedActivities(config: Config): Promise<ActivityInterceptorsFactory[]> {
  const metered = await serveMetrics(config);
  const tracing = await tracingWorkerParts();
  return [...(tracing?.activity ?? []), ...(metered ? [activityMetricsInterceptor(arbiterMetrics())] : [])];
}

export async function createWorker(setup: WorkerSetup, connection: NativeConnection): Promise<Worker> {
  const deps = setup.deps ?? loadDeps(setup.config);
  const dataConverter = dataConverterFromEnv(); // payload encryption when ARBITER_CODEC_KEYS is set
  const { namespace, taskQueue } = setup.config;

  const observed = await observedActivities(setup.config);
  if (setup.config.metrics) {
    arbiterMetrics().reviewQueues.set(taskQueue, reviewQueueCounter(connection, namespace, taskQueue));
  }

  const tracing = await tracingWorkerParts();
  if (tracing && setup.workflowBundle && !bundleWarned && !bundleHasTracing(setup.workflowBundle.codePath)) {
    bundleWarned = true;
    warn(
      'tracing: the prebuilt workflow bundle has no OpenTelemetry interceptors, so workflow spans are missing; ' +
        'bundle with workflowInterceptorModules: tracingWorkflowModules()',
    );
  }
  // The bundle carries the workflow interceptors (tracing) and the failure converter (encryption):
  // the SDK takes neither from the options once a bundle is given.
  const bundle =
    setup.workflowBundle ??
    (await workflowBundle({
      tracing: tracing !== undefined,
      encodedFailures: dataConverter?.failureConverterPath !== undefined,
      cacheDir: join(setup.config.dataDir, 'workflow-bundles'),
      log: warn,
    }));
  const given = setup.options?.interceptors;
  const activity = [...observed, ...(given?.activity ?? [])];
  const sinks = { ...liveTrailSink, ...tracing?.sinks, ...setup.options?.sinks };

  return Worker.create({
    connection,
    namespace,
    taskQueue,
    activities: createActivities(deps),
    ...(dataConverter ? { dataConverter } : {}),
    workflowBundle: bundle,
    ...setup.options,
    interceptors: { ...given, activity },
    ...(Object.keys(sinks).length ? { sinks } : {}),
  });
}

function bundleHasTracing(codePath: string): boolean {
  try {
    return readFileSync(codePath, 'utf8').includes('OpenTelemetryInboundInterceptor');
  } catch {
    return false;
  }
}
