// vitest's globalSetup: before any test file runs, the builds the tests use besides src/ are
// brought up to date: the wasm kernels (build/*.wasm) that every test loads, and dist/ and
// build/examples/, which the child-process tests, the README's examples and the CLI tests run.
// `npm test` builds first anyway; this is for `npx vitest run test/one.test.ts` after an edit,
// which otherwise tested the previous build and passed.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time under the given files and folders (0 for none). */
function newest(paths: string[]): number {
  let time = 0;
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    time = Math.max(time, stat.isDirectory() ? newest(readdirSync(path).map((name) => join(path, name))) : stat.mtimeMs);
  }
  return time;
}

/** Whether output is missing or older than any of inputs. */
function stale(output: string, inputs: string[]): boolean {
  return newest([output]) < newest(inputs);
}

const npm = (script: string) => execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', script], { stdio: 'inherit' });

export default function setup(): void {
  // build-wasm.js has its own up-to-date check (a stamp written only by a complete build).
  execFileSync(process.execPath, ['scripts/build-wasm.js'], { stdio: 'inherit' });
  const config = ['tsconfig.json', 'package.json'];
  if (stale('dist/index.js', ['src', 'tsconfig.build.json', ...config])) npm('build:ts');
  if (stale('build/examples/main.js', ['src', 'examples', 'tsconfig.examples.json', ...config])) npm('build:examples');
}
