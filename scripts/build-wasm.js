// Compiles assembly/ into one .wasm per target in asconfig.json (baseline SIMD and relaxed SIMD).
// Each target is its own compiler process, all at once: Binaryen's converging -O3 takes about 45 s
// per target on this project, and one after the other they doubled the time of every build (npm
// test, npm start and the benchmarks all build first).
//
// A build whose outputs are all newer than its inputs (assembly/, asconfig.json, this script and
// the compiler's package.json) is skipped, as make would; `--force` builds anyway. The outputs'
// times alone would not do: a build killed part-way leaves fresh, truncated files. So a stamp
// file is removed before compiling and written back only once every target has succeeded, and
// the build counts as up to date only while the stamp is newer than the inputs too.
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const config = JSON.parse(await readFile(new URL('asconfig.json', root), 'utf8'));
const require = createRequire(import.meta.url);
let asc;
try {
  asc = require.resolve('assemblyscript/bin/asc.js');
} catch {
  // `npm pack` or `npm run build` in a fresh clone, before any install: say so, not a stack.
  console.error('build-wasm: the AssemblyScript compiler is not installed; run npm install in this checkout first');
  process.exit(1);
}
const STAMP = 'build/.wasm-complete';

async function mtime(path) {
  try {
    return (await stat(new URL(path, root))).mtimeMs;
  } catch {
    return NaN; // missing: never up to date
  }
}

async function upToDate() {
  const sources = (await readdir(new URL('assembly/', root), { recursive: true }))
    .map((name) => `assembly/${name}`)
    .concat('asconfig.json', 'scripts/build-wasm.js');
  const inputs = await Promise.all(sources.map(mtime));
  inputs.push((await stat(require.resolve('assemblyscript/package.json'))).mtimeMs);
  const outputs = await Promise.all(
    Object.values(config.targets).flatMap((t) => [t.outFile, t.textFile]).concat(STAMP).map(mtime),
  );
  return Math.min(...outputs) > Math.max(...inputs);
}

if (!process.argv.includes('--force') && (await upToDate())) {
  console.log('build-wasm: the last complete build is newer than assembly/ and asconfig.json; not rebuilt (npm run build:wasm -- --force to rebuild)');
  process.exit(0);
}

function build(target) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [asc, '--config', 'asconfig.json', '--target', target], {
      cwd: fileURLToPath(root),
      stdio: 'inherit',
    });
    child.on('error', (error) => resolve(`could not start the compiler: ${error.message}`));
    child.on('exit', (code, signal) => resolve(code === 0 ? null : signal ? `killed by ${signal}` : `exit code ${code}`));
  });
}

await rm(new URL(STAMP, root), { force: true });
const targets = Object.keys(config.targets);
const failures = (await Promise.all(targets.map(build)))
  .map((failure, i) => failure && `build-wasm: target ${targets[i]} failed: ${failure}`)
  .filter(Boolean);
if (failures.length) {
  for (const failure of failures) console.error(failure);
  process.exit(1);
}
await writeFile(new URL(STAMP, root), `${targets.join(', ')} built ${new Date().toISOString()}\n`);
