// The Node.js the broker's own commands (`npm test`, `npm start`) run on: Node 24 LTS.
// When the machine's Node is older, the official Node 24 binary is fetched once from the npm
// registry (the `node-<platform>-<arch>` packages carry `bin/node`; nothing is downloaded from
// anywhere else) into a cache folder outside node_modules and the lock file, so `npm ci`
// neither downloads nor removes it. The calling script then runs again on that binary, and
// every child it starts with `process.execPath` (Prisma, tsc, Jest, worker processes) too.
//
// BROKER_NODE=system keeps the machine's Node (>= 22.15 is supported); BROKER_NODE_CACHE moves
// the cache (default .cache/node-<version> in the repository).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join, resolve } from 'node:path';

export const NODE_VERSION = '24.22.3';
const REQUIRED_MAJOR = Number(NODE_VERSION.split('.')[0]);
const REEXEC_MARK = 'BROKER_NODE_REEXEC';

const log = (message) => console.log(`[node] ${message}`);

function fail(message, hint = "set BROKER_NODE=system to run on this machine's Node instead (22.15 or newer)") {
  console.error(`[node] ${message}`);
  if (hint) console.error(`[node] ${hint}`);
  process.exit(1);
}

/** The cached binary, fetched when missing; its path. Throws saying why a fetch failed. */
export function node24Binary() {
  const cache = resolve(process.env.BROKER_NODE_CACHE ?? `.cache/node-${NODE_VERSION}`);
  const binary = join(cache, 'bin', 'node');
  if (existsSync(binary) && versionOf(binary) === `v${NODE_VERSION}`) return binary;

  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}@${NODE_VERSION}`;
  log(`fetching Node ${NODE_VERSION} from the npm registry (${pkg}, 189 MB unpacked) into ${cache}`);
  mkdirSync(join(cache, '..'), { recursive: true });
  // Unpacked next to the cache, then renamed: an interrupted fetch never leaves a half binary.
  const staging = mkdtempSync(`${cache}.partial-`);
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const pack = spawnSync(npm, ['pack', pkg, '--pack-destination', staging, '--loglevel=error'], { encoding: 'utf8' });
    if (pack.status !== 0) {
      const output = (pack.stderr || pack.stdout || '').trim();
      throw new Error(`could not fetch ${pkg} with npm pack (exit ${pack.status ?? pack.error?.message}): ${output || 'no output'}`);
    }
    const tarball = readdirSync(staging).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg} produced no tarball in ${staging}`);
    const untar = spawnSync('tar', ['-xzf', join(staging, tarball), '-C', staging], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`could not unpack ${tarball}: ${untar.stderr}`);
    const unpacked = join(staging, 'package');
    const version = versionOf(join(unpacked, 'bin', 'node'));
    if (version !== `v${NODE_VERSION}`) throw new Error(`${pkg} does not run here (printed ${JSON.stringify(version)})`);
    rmSync(cache, { recursive: true, force: true });
    renameSync(unpacked, cache);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

function versionOf(binary) {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Runs the calling script on Node 24 unless it already is on 24 or newer (or BROKER_NODE=system):
 * returns when the current process is the one to carry on, otherwise exits with the child's status.
 */
export async function ensureNodeRuntime(what) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= REQUIRED_MAJOR || process.env[REEXEC_MARK]) return;
  if (process.env.BROKER_NODE === 'system') {
    const [, minor] = process.versions.node.split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 15)) {
      fail(`Node ${process.versions.node} is not supported (22.15 or newer; 24 recommended)`, 'unset BROKER_NODE to run on a fetched Node 24');
    }
    log(`${what} runs on this machine's Node ${process.versions.node} (BROKER_NODE=system)`);
    return;
  }
  let binary;
  try {
    binary = node24Binary();
  } catch (error) {
    fail(error.message);
  }
  log(`this machine's Node is ${process.versions.node}: ${what} runs on Node ${NODE_VERSION} (${binary})`);
  const child = spawn(binary, [...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [REEXEC_MARK]: '1' },
  });
  // Ctrl-C reaches the child through the terminal's process group; a signal sent to this
  // process alone (a process manager's SIGTERM) is passed on. The child's status is ours.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal !== 'SIGINT') child.kill(signal);
    });
  }
  const [code, signal] = await new Promise((done) => child.once('exit', (...args) => done(args)));
  process.exit(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1));
}
