// Lint rules that keep the codebase honest: strict TypeScript, no floating promises, the layers of
// src/ (docs/architecture.md) with no import cycles, and a sandbox rule over all code the workflow
// bundle loads, so nondeterminism is caught before Temporal's replay would.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'url'];

/**
 * The layers of src/, lowest first. A layer may import its own and the layers listed for it; the
 * workflow sandbox (`shared`, `workflows`) imports nothing that runs outside it. Type-only imports
 * of a higher layer are allowed where noted: they are erased before the code runs.
 */
const LAYERS = [
  ['shared', 'src/shared'],
  ['workflows', 'src/workflows'],
  ['config', 'src/config'],
  ['llm', 'src/llm'],
  ['security', 'src/security'],
  ['governance', 'src/governance'],
  ['agents', 'src/agents'],
  ['tools', 'src/tools'],
  ['notify', 'src/notify'],
  ['activities', 'src/activities'],
  ['audit', 'src/audit'],
  ['observability', 'src/observability'],
  ['app', ['src/runtime', 'src/embedded']],
  ['cli', 'src/cli'],
  // Last, so it only takes what no folder above claims: the files directly under src/ (the client
  // library and the worker).
  ['app', 'src'],
].map(([type, pattern]) => ({ type, pattern, partialMatch: false }));
const BLOCKS = ['llm', 'security', 'governance', 'agents', 'tools', 'notify'];
const below = (type) => LAYERS.slice(0, LAYERS.findIndex((l) => l.type === type) + 1).map((l) => l.type);
/** `from` may import `to`; `kind: 'type'` allows type-only imports alone. */
const may = (from, to, kind) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: to } } }, ...(kind ? { dependency: { kind } } : {}) },
});
const layerPolicies = [
  may('shared', ['shared']),
  may('workflows', ['shared', 'workflows']),
  may('workflows', ['activities'], 'type'),
  may('config', ['shared', 'config']),
  // Building blocks: each does one job over the shared vocabulary and the configuration.
  may('llm', ['shared', 'config', 'llm']),
  may('security', ['shared', 'config', 'security']),
  may('governance', ['shared', 'config', 'llm', 'governance']),
  may('governance', ['workflows'], 'type'),
  may('agents', ['shared', 'config', 'llm', 'security', 'agents']),
  may('tools', ['shared', 'config', 'security', 'tools']),
  may('notify', ['shared', 'config', 'security', 'notify']),
  may('activities', ['shared', 'config', ...BLOCKS, 'activities']),
  may('activities', ['workflows'], 'type'),
  may('audit', ['shared', 'config', ...BLOCKS, 'workflows', 'audit']),
  may('observability', ['shared', 'config', ...BLOCKS, 'observability']),
  may('observability', ['activities'], 'type'),
  may('app', below('app')),
  may('cli', below('cli')),
];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.arbiter/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.mjs'] } },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries, 'import-x': importX },
    settings: {
      'boundaries/elements': LAYERS,
      'boundaries/include': ['src/**/*.ts'],
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      'import/resolver': { typescript: true },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message: 'a lower layer of src/ must not import a higher one (see docs/architecture.md)',
          policies: layerPolicies,
        },
      ],
      'boundaries/no-unknown-files': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // Everything the workflow bundle loads: workflow code and the shared vocabulary it imports.
    files: ['src/workflows/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*'],
              message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.',
            },
          ],
          paths: nodeBuiltins.map((name) => ({ name, message: 'No Node built-ins in workflow code.' })),
        },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'Use workflow time (Date inside the sandbox is replay-safe only via workflow APIs).',
        },
        {
          object: 'Math',
          property: 'random',
          message: 'Use uuid4() / deterministic ids from workflow APIs.',
        },
      ],
    },
  },
);
