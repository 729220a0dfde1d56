// Filled in by esbuild at build time (scripts/build.mjs); the fallbacks serve runs from source.
declare const __PLUGIN_VERSION__: string | undefined;
declare const __PLUGIN_COMMIT__: string | undefined;

export const PLUGIN_VERSION = typeof __PLUGIN_VERSION__ === 'string' ? __PLUGIN_VERSION__ : '0.0.0-dev';
export const PLUGIN_COMMIT = typeof __PLUGIN_COMMIT__ === 'string' ? __PLUGIN_COMMIT__ : 'unknown';

export interface VersionInfo {
  version: string;
  commit: string;
  node: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  return { version: `v${PLUGIN_VERSION}`, commit: PLUGIN_COMMIT, node: process.version, platform: `${process.platform}/${process.arch}` };
}
