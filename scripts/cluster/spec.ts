// What the production-shape cluster is made of: the Temporal server version, its config file, the
// database schema steps and the services. `npm run cluster` runs exactly this, and
// test/unit/compose.test.ts holds docker-compose.yml to the same values, so the two cannot drift.

/** The Temporal server release both twins run: `go install …@v<version>` here, image tags there. */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
/** v1.32 needs Go ≥ 1.26.10; the go command fetches this toolchain from the module proxy. */
export const GO_TOOLCHAIN = 'go1.27.3';
export const SERVER_MODULE = 'go.temporal.io/server';
/** The packages `go install` builds, and the names their binaries get under .tools. */
export const GO_BINARIES = [
  { pkg: `${SERVER_MODULE}/cmd/server`, built: 'server', name: 'temporal-server' },
  { pkg: `${SERVER_MODULE}/cmd/tools/sql`, built: 'sql', name: 'temporal-sql-tool' },
] as const;

/** The server config, relative to the repository root (mounted into the compose containers). */
export const SERVER_CONFIG_FILE = 'config/temporal/cluster.yaml';

/** The SQL plugin both the server config and the schema tool use. */
export const SQL_PLUGIN = 'postgres12';
/** The module folder with the PostgreSQL schemas (`temporal/` persistence, `visibility/` SQL advanced visibility). */
export const SCHEMA_SUBDIR = 'schema/postgresql/v12';
export const DATABASES = [
  { db: 'temporal', schema: 'temporal' },
  { db: 'temporal_visibility', schema: 'visibility' },
] as const;

/**
 * The `temporal-sql-tool` invocations that create both databases and bring their schemas to the
 * version the server needs, in order. Safe to re-run: an existing database is reported and kept
 * (create-database fails then, which the caller tolerates), and update-schema applies only the
 * versions that are missing.
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
