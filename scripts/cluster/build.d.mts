// Types of build.mjs (plain JavaScript, so scripts/setup.mjs can run it before node_modules exists).

export declare const TEMPORAL_SERVER_VERSION: string;
export declare const GO_TOOLCHAIN: string;
export declare const SERVER_MODULE: string;
export declare const GO_BINARIES: readonly { pkg: string; built: string; name: string }[];
export declare const SCHEMA_SUBDIR: string;
export declare const repoRoot: string;

export interface ServerTools {
  dir: string;
  server: string;
  sqlTool: string;
  /** Holds `temporal/` and `visibility/`, each with its `versioned/` schema steps. */
  schemaRoot: string;
}

export declare function serverTools(version?: string): ServerTools;
export declare function buildLog(t?: ServerTools): string;
export declare function ensureServerTools(log?: (line: string) => void): Promise<ServerTools>;
export declare function startBackgroundBuild(): boolean;
