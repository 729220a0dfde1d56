// Who the plugin is: the name users type, and the version and commit esbuild fills in at build time
// (scripts/build.mjs); the fallbacks serve runs from source. Below every layer: the parser's help and the commands'
// hints both name the program.
declare const __PLUGIN_VERSION__: string | undefined;
declare const __PLUGIN_COMMIT__: string | undefined;

/** How users invoke the plugin through kubectl; used in help text and in every "run ... to ..." hint. */
export const PROGRAM = 'kubectl kruise-restart';

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

/** What --version and `version` print. */
export function versionLine(): string {
  const v = versionInfo();
  return `kubectl-kruise_restart ${v.version} (commit ${v.commit}, node ${v.node}, ${v.platform})\n`;
}
