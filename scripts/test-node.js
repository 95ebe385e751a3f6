// `npm run test:node -- 24 [vitest args]`: the Node half of the test suite on another major
// version of Node, fetched from the npm registry (the `node-<platform>-<arch>` packages carry the
// official binaries). The system Node runs `npm test`; this checks the other side of the relaxed
// SIMD flag rule (node-flags.js), the package as a Node 22+ user installs it, and the examples.
// The binary is kept under node_modules/.cache, so a second run does not download it again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, ...vitestArgs] = process.argv.slice(2);
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: npm run test:node -- <major Node version, such as 24> [vitest arguments]');
  process.exit(2);
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = `node-${process.platform}-${process.arch}`;
const prefix = join(root, 'node_modules', '.cache', `node-${major}`);
const node = join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
const shell = process.platform === 'win32';

function versionOf(binary) {
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

let version = existsSync(node) ? versionOf(node) : undefined;
if (!version?.startsWith(`v${major}.`)) {
  console.log(`test:node: installing ${pkg}@${major} from the npm registry into ${prefix} (about 50 MB to download, 190 MB on disk)`);
  mkdirSync(prefix, { recursive: true });
  const install = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${major}`], { stdio: 'inherit', shell });
  version = install.status === 0 && existsSync(node) ? versionOf(node) : undefined;
  if (!version?.startsWith(`v${major}.`)) {
    console.error(`test:node: could not install Node ${major} as the npm package ${pkg}@${major} (is there one for this platform?)`);
    process.exit(1);
  }
}

// The tests start node as process.execPath, but npm by name (package.test.ts): with this node
// first on PATH, npm runs on it too.
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
console.log(`\nNode suite on Node ${version} (${node})`);
const run = spawnSync(node, [vitest, 'run', ...vitestArgs], { stdio: 'inherit', env, cwd: root });
process.exit(run.status ?? 1);
