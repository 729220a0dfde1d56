// Loads the second bundle (src/runtime.ts). From source it is a plain import; the build replaces this module's
// import of '../runtime' (see scripts/build.mjs) by `loadBundledRuntime`: a sibling file next to the .cjs bundle, or
// an asset inside the single executable.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';

export type Runtime = typeof import('../runtime');

export const RUNTIME_FILE = 'kubectl-kruise_restart.runtime.cjs';

declare const __filename: string | undefined;

function fromSeaAsset(): Runtime | undefined {
  let sea: { isSea(): boolean; getAsset(key: string, encoding: string): string } | undefined;
  try {
    sea = createRequire(process.execPath)('node:sea');
  } catch {
    return undefined;
  }
  if (!sea?.isSea()) return undefined;
  const code = sea.getAsset(RUNTIME_FILE, 'utf8');
  const module = { exports: {} as Runtime };
  const wrapper = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${code}\n})`, { filename: RUNTIME_FILE });
  wrapper(module.exports, createRequire(process.execPath), module, join(dirname(process.execPath), RUNTIME_FILE), dirname(process.execPath));
  return module.exports;
}

export function loadBundledRuntime(): Runtime {
  const embedded = fromSeaAsset();
  if (embedded) return embedded;
  const here = typeof __filename === 'string' ? dirname(__filename) : process.cwd();
  return createRequire(join(here, 'x.cjs'))(join(here, RUNTIME_FILE)) as Runtime;
}
