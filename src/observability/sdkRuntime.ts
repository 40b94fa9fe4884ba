// The Temporal SDK's own metrics (workflow/activity task latencies, slots, polls, sticky cache…)
// come from Core's Prometheus exporter, which is configured when the process's SDK Runtime is
// created and cannot be added later. It listens on a loopback port only: Arbiter's /metrics
// endpoint fetches it and serves both sets together (endpoint.ts).
import { Runtime } from '@temporalio/worker';
import { freePort } from '../config/freePort.js';

/** host:port of the exporter this module installed, while that runtime lives. */
let installed: { runtime: Runtime; address: string } | undefined;

/** The SDK exporter's address when this process's runtime has it, else undefined. */
export function sdkExporterAddress(): string | undefined {
  return installed && Runtime._instance === installed.runtime ? installed.address : undefined;
}

/**
 * Makes the process's SDK runtime export Prometheus metrics on a loopback port, before the first
 * NativeConnection. CLI commands install a runtime for their log level first (and tests one of
 * their own); while that runtime has no connection or worker yet, it is replaced by one with the
 * same options plus the exporter. A runtime already in use is left alone: SDK metrics are then
 * missing from the endpoint, which says so. Returns the exporter's address, or undefined.
 */
export async function ensureSdkExporter(): Promise<string | undefined> {
  const current = Runtime._instance;
  const existing = sdkExporterAddress();
  if (existing) return existing;
  if (current && !(current as unknown as { isIdle(): boolean }).isIdle()) return undefined;
  // Someone else installed an exporter (of any kind): theirs stays.
  if (current?.options.runtimeOptions.metricsExporter) return undefined;
  const address = `127.0.0.1:${await freePort()}`;
  const base = Runtime.defaultOptions;
  // Idle and unused: shutting it down releases nothing anyone holds (the SDK itself does this when
  // the last connection of a runtime closes).
  await current?.shutdown();
  const runtime = Runtime.install({
    ...base,
    telemetryOptions: { ...base.telemetryOptions, metrics: { prometheus: { bindAddress: address } } },
  });
  // Should this runtime end (the SDK shuts an idle runtime down) and be re-created implicitly, the
  // new one must not try to bind the same port: it gets the caller's original options.
  Runtime.defaultOptions = base;
  installed = { runtime, address };
  return address;
}
