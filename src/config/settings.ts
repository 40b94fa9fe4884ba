// Settings from the environment (SPEC §3), with an optional arbiter.config.yaml whose keys are
// the same names; the environment wins. Secrets (API keys) only ever come from here.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { validate } from './files.js';

const CONFIG_FILE = 'arbiter.config.yaml';
/** The OpenTelemetry Prometheus exporter's customary port: where `arbiter worker` and `dev` serve /metrics. */
export const DEFAULT_METRICS_PORT = 9464;

const Settings = z
  .object({
    TEMPORAL_ADDRESS: z.string().optional(),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('arbiter'),
    TEMPORAL_API_KEY: z.string().optional(),
    TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
    TEMPORAL_TLS_CERT: z.string().optional(),
    TEMPORAL_TLS_KEY: z.string().optional(),
    ARBITER_DATA_DIR: z.string().default('.arbiter'),
    ARBITER_AGENTS: z.string().default('agents.yaml'),
    ARBITER_POLICIES: z.string().default('policies'),
    ARBITER_RULES: z.string().default('config/domains.yaml'),
    ARBITER_REVIEWERS: z.string().default('config/reviewers.yaml'),
    ARBITER_PRICING: z.string().default('config/pricing.yaml'),
    ARBITER_DEV_PORT: z.coerce.number().int().min(1).max(64535).default(7233),
    // `off` (or 0) turns the worker's Prometheus endpoint off.
    ARBITER_METRICS_PORT: z
      .union([z.literal('off'), z.coerce.number().int().min(0).max(65535)], {
        error: 'expected a port number (1-65535), or off (or 0) to serve no metrics',
      })
      .default(DEFAULT_METRICS_PORT),
    ARBITER_METRICS_HOST: z.string().default('0.0.0.0'),
    ARBITER_UI_URL: z
      .url({ protocol: /^https?$/, error: 'expected the Web UI address, e.g. https://temporal.example.com' })
      .optional(),
  })
  .loose();

export interface Config {
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { cert?: string; key?: string } | true;
  dataDir: string;
  agentsFile: string;
  policiesDir: string;
  rulesFile: string;
  reviewersFile: string;
  pricingFile: string;
  devPort: number;
  /** Where a worker serves Prometheus metrics; absent when turned off. */
  metrics?: { port: number; host: string };
  /** The Temporal Web UI's address, for links people follow (default: the embedded UI, dev port + 1000). */
  uiUrl?: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = resolve(cwd, CONFIG_FILE);
  const fromFile = existsSync(file) ? (parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const s = validate(
    Settings,
    { ...fromFile, ...defined },
    existsSync(file) ? file : 'environment',
    'settings',
  );
  const tls =
    s.TEMPORAL_TLS_CERT && s.TEMPORAL_TLS_KEY
      ? { cert: s.TEMPORAL_TLS_CERT, key: s.TEMPORAL_TLS_KEY }
      : s.TEMPORAL_TLS === 'true' || s.TEMPORAL_API_KEY
        ? (true as const)
        : undefined;
  return {
    ...(s.TEMPORAL_ADDRESS ? { address: s.TEMPORAL_ADDRESS } : {}),
    namespace: s.TEMPORAL_NAMESPACE,
    taskQueue: s.TEMPORAL_TASK_QUEUE,
    ...(s.TEMPORAL_API_KEY ? { apiKey: s.TEMPORAL_API_KEY } : {}),
    ...(tls ? { tls } : {}),
    dataDir: resolve(cwd, s.ARBITER_DATA_DIR),
    agentsFile: resolve(cwd, s.ARBITER_AGENTS),
    policiesDir: resolve(cwd, s.ARBITER_POLICIES),
    rulesFile: resolve(cwd, s.ARBITER_RULES),
    reviewersFile: resolve(cwd, s.ARBITER_REVIEWERS),
    pricingFile: resolve(cwd, s.ARBITER_PRICING),
    devPort: s.ARBITER_DEV_PORT,
    ...(s.ARBITER_METRICS_PORT === 'off' || s.ARBITER_METRICS_PORT === 0
      ? {}
      : { metrics: { port: s.ARBITER_METRICS_PORT, host: s.ARBITER_METRICS_HOST } }),
    ...(s.ARBITER_UI_URL ? { uiUrl: s.ARBITER_UI_URL.replace(/\/+$/, '') } : {}),
  };
}

/** The Web UI people are sent to: ARBITER_UI_URL, or the embedded server's UI. */
export function uiUrlOf(config: Config): string {
  return config.uiUrl ?? `http://localhost:${config.devPort + 1000}`;
}

/** The link to one workflow's page in the Web UI. */
export function webUiLink(uiBase: string, namespace: string, workflowId: string): string {
  return `${uiBase}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The address clients use: TEMPORAL_ADDRESS, or the embedded server's. */
export function addressOf(config: Config): string {
  return config.address ?? `localhost:${config.devPort}`;
}
