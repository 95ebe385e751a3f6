// Runs a script of test/child/ in a fresh node process: for node flags a test cannot set on its
// own process (--wasm-max-mem-pages, --expose-gc). The scripts import the built dist/, which
// builtEntry() finds for every test that needs it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relaxedSimdFlags } from '../scripts/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The built package's entry, dist/index.js; throws saying how to build it when it is missing. */
export function builtEntry(): string {
  const entry = `${root}/dist/index.js`;
  if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  return entry;
}

/** Runs a script of test/child/ in a fresh node with extra flags; returns its JSON report. */
export function runChild(script: string, nodeFlags: string[], args: string[] = []): Record<string, unknown> {
  builtEntry();
  const stdout = execFileSync(
    process.execPath,
    [...relaxedSimdFlags, ...nodeFlags, `${root}/test/child/${script}`, ...args],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}
