// Loads the second bundle (src/runtime.ts). From source it is a plain import; the build replaces this module's
// import of '../runtime' (see scripts/build.mjs) by `loadBundledRuntime`: a sibling file next to the .cjs bundle, or
// an asset inside the single executable.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

export type Runtime = typeof import('../runtime');

export const RUNTIME_FILE = 'kruise-restart.runtime.cjs';
/** V8's code cache for the runtime, made by scripts/build.mjs with the very Node binary the executable is built on. */
export const RUNTIME_CACHE = 'kruise-restart.runtime.cache';

/** The CommonJS wrapper; scripts/build.mjs wraps the same way, byte for byte, when it makes the code cache. */
function wrap(code: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${code}\n})`;
}

declare const __filename: string | undefined;

function fromSeaAsset(): Runtime | undefined {
  let sea: { isSea(): boolean; getAsset(key: string, encoding?: string): string | ArrayBuffer } | undefined;
  try {
    sea = createRequire(process.execPath)('node:sea');
  } catch {
    return undefined;
  }
  if (!sea?.isSea()) return undefined;
  const code = sea.getAsset(RUNTIME_FILE, 'utf8') as string;
  // Compiling the 1 MB runtime costs ~100 ms on every command; with the cache V8 skips it. A cache V8 does not accept
  // (another Node, other flags) is ignored and the code compiles as usual.
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getAsset(RUNTIME_CACHE) as ArrayBuffer);
  } catch {
    cachedData = undefined;
  }
  const module = { exports: {} as Runtime };
  const wrapper = new Script(wrap(code), { filename: RUNTIME_FILE, cachedData }).runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(process.execPath), module, join(dirname(process.execPath), RUNTIME_FILE), dirname(process.execPath));
  return module.exports;
}

export function loadBundledRuntime(): Runtime {
  const embedded = fromSeaAsset();
  if (embedded) return embedded;
  const here = typeof __filename === 'string' ? dirname(__filename) : process.cwd();
  return createRequire(join(here, 'x.cjs'))(join(here, RUNTIME_FILE)) as Runtime;
}
