// Loads one of the plugin's lazily used bundles: a sibling file next to the .cjs entry bundle, or an asset inside the
// single executable (with the V8 code cache scripts/build.mjs made for it). The build replaces a few dynamic imports
// of the sources by these loads (see `lazyBundle` in scripts/build.mjs), so the sources stay plain TypeScript and no
// bundle keeps an import(), which the single executable cannot run. Below every layer: it imports none of them.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** The bundles loaded on demand, by what they hold; the entry bundle (kruise-restart.cjs) loads the first. */
export const LAZY_BUNDLES = {
  /** The command line's check and reader, and completion: everything but --version and help rendered at build time. */
  cli: 'kruise-restart.cli.cjs',
  /** yargs: help not rendered at build time (a narrow terminal), and the odd lines src/cli/parse.ts leaves to it. */
  help: 'kruise-restart.help.cjs',
  /** The Kubernetes client, the domain and the renderers: what a command needs beyond argument parsing. */
  runtime: 'kruise-restart.runtime.cjs',
  /** @kubernetes/client-node's authentication plugins (exec, OIDC, auth-provider, proxies), for kubeconfigs that need them. */
  auth: 'kruise-restart.auth.cjs',
} as const;

/** V8's code cache for a bundle, made by scripts/build.mjs with the very Node binary the executable is built on. */
export function codeCacheName(file: string): string {
  return file.replace(/\.cjs$/, '.cache');
}

/** The CommonJS wrapper; scripts/build.mjs wraps the same way, byte for byte, when it makes the code cache. */
function wrap(code: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
}

declare const __filename: string | undefined;

type Sea = { isSea(): boolean; getAsset(key: string, encoding?: string): string | ArrayBuffer };

let sea: Sea | null | undefined;

function seaApi(): Sea | null {
  if (sea !== undefined) return sea;
  try {
    const api = createRequire(process.execPath)('node:sea') as Sea;
    sea = api.isSea() ? api : null;
  } catch {
    sea = null;
  }
  return sea;
}

function fromSeaAsset<T>(file: string): T | undefined {
  const api = seaApi();
  if (!api) return undefined;
  const code = api.getAsset(file, 'utf8') as string;
  // Compiling a bundle costs tens of ms on every command; with the cache V8 skips it. A cache V8 does not accept
  // (another Node, other flags) is ignored and the code compiles as usual.
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(api.getAsset(codeCacheName(file)) as ArrayBuffer);
  } catch {
    cachedData = undefined;
  }
  const module = { exports: {} as T };
  const wrapper = new Script(wrap(code), { filename: file, cachedData }).runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(process.execPath), module, join(dirname(process.execPath), file), dirname(process.execPath));
  return module.exports;
}

/**
 * A Node built-in loaded at its first use instead of when the bundle starts: readline and zlib cost ~13 ms of CPU at
 * every start, and a plain status reads no watch, asks no question and gets no compressed answer. (import() would do
 * it too, but the single executable cannot run one.)
 */
export function builtin<T>(id: `node:${string}`): T {
  return createRequire(process.execPath)(id) as T;
}

const loaded = new Map<string, unknown>();

export function loadBundled<T>(file: string): T {
  if (loaded.has(file)) return loaded.get(file) as T;
  let exports = fromSeaAsset<T>(file);
  if (exports === undefined) {
    const here = typeof __filename === 'string' ? dirname(__filename) : process.cwd();
    exports = createRequire(join(here, 'x.cjs'))(join(here, file)) as T;
  }
  loaded.set(file, exports);
  return exports;
}
