import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The layers of src/ (see the README's source layout): imports only go down, never round in a cycle. The parser
 * (cli/) reaches the commands only through the lazily loaded runtime (src/runtime.ts), and knows of commands/ only
 * the contract it hands them (commands/context.ts).
 */
const LAYERS = [
  { target: './src/kruise', from: ['./src/kube', './src/ui', './src/cli', './src/commands', './src/runtime.ts'], message: 'kruise/ is the pure domain: it imports no I/O, rendering, parser or command.' },
  { target: './src/kube', from: ['./src/cli', './src/commands', './src/ui', './src/runtime.ts'], message: 'kube/ talks to the API server for any caller: it knows no parser, command or renderer.' },
  { target: './src/ui', from: ['./src/kube', './src/commands', './src/cli', './src/runtime.ts'], message: 'ui/ renders the domain model: it knows no cluster client, command or parser.' },
  { target: ['./src/commands', './src/runtime.ts', './src/errors.ts', './src/version.ts'], from: './src/cli', message: 'Only the entry (src/main.ts) imports cli/: commands never know the parser.' },
  { target: './src/commands', from: './src/runtime.ts', message: 'The runtime bundles the commands; a command does not import it.' },
  { target: './src/cli', from: './src/commands', except: ['./context.ts'], message: 'The parser reaches commands only through the runtime loader (import("../runtime")); it may import only commands/context.ts.' },
  { target: ['./src/errors.ts', './src/version.ts', './src/bundles.ts'], from: './src', except: ['./errors.ts', './version.ts'], message: 'errors.ts, version.ts and bundles.ts sit below every layer and import none of them.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/summary-reporter.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', Buffer: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['src/kruise/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'error' } },
  {
    files: ['src/**/*.ts', 'scripts/**/*.{ts,mjs}', 'test/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.node'] })],
      // Without these import-x resolves a .ts import but never parses the file it lands on, so no-cycle sees no
      // dependencies past the first file and passes every cycle (test/unit/layers.test.ts proves it catches one).
      'import-x/extensions': ['.ts', '.mjs', '.js', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // Whatever is imported is declared in package.json (a package that only arrives under another goes with it).
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: true }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@kubernetes/client-node/*'], message: "Import from '@kubernetes/client-node' itself: its dist/ paths are private." }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // What ships is bundled from dependencies only; devDependencies are for building and testing.
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: false }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
    },
  },
);
