// What the production-shape cluster is made of: the Temporal server version, its config file, the
// database schema steps and the services. `npm run cluster` runs exactly this, and
// test/unit/compose.test.ts holds docker-compose.yml to the same values, so the two cannot drift.

export { GO_TOOLCHAIN, SCHEMA_SUBDIR, TEMPORAL_SERVER_VERSION } from './build.mjs';

/** The server config, relative to the repository root (mounted into the compose containers). */
export const SERVER_CONFIG_FILE = 'config/temporal/cluster.yaml';

/** The SQL plugin both the server config and the schema tool use. */
export const SQL_PLUGIN = 'postgres12';
export const DATABASES = [
  { db: 'temporal', schema: 'temporal' },
  { db: 'temporal_visibility', schema: 'visibility' },
] as const;

/**
 * The `temporal-sql-tool` invocations that create both databases and bring their schemas to the
 * version the server needs, in order. Safe to re-run: create-database keeps an existing database,
 * setup-schema keeps a newer version, and update-schema applies only the versions that are missing.
 */
export function schemaSteps(schemaRoot: string): string[][] {
  return DATABASES.flatMap(({ db, schema }) => [
    ['--db', db, 'create-database'],
    ['--db', db, 'setup-schema', '-v', '0.0'],
    ['--db', db, 'update-schema', '-d', `${schemaRoot}/${schema}/versioned`],
  ]);
}

/**
 * The server's services, one process each, in start order. The frontend is what clients dial; the
 * worker service runs Temporal's own system workflows (not Arbiter's workers).
 */
export const SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The port variables of cluster.yaml, per service. */
export const SERVICE_PORT_VARS: Record<ServiceName, string[]> = {
  frontend: ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT'],
  history: ['HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT'],
  matching: ['MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT'],
  worker: ['WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT'],
};

/** The namespace Arbiter's workers poll by default (TEMPORAL_NAMESPACE), registered at start. */
export const NAMESPACE = 'default';
/** How long closed workflows are kept; the `temporal operator namespace create` default. */
export const RETENTION_HOURS = 72;
