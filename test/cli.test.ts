// `npm start`'s command line (examples/main.ts, built into build/examples/) run as a user runs it:
// where it writes, and what Ctrl-C does.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtEntry } from './child-process.js';
import { relaxedSimdFlags } from '../scripts/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'softmax-wasm-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the examples' main with args; `interrupt` sends SIGINT once stdout shows that text. */
function run(args: string[], interrupt?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  builtEntry();
  const child = spawn(process.execPath, [...relaxedSimdFlags, `${root}/build/examples/main.js`, ...args], { cwd: root });
  let stdout = '', stderr = '', sent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (interrupt && !sent && stdout.includes(interrupt)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the examples\' command line', () => {
  it('makes the folder of --out before training (it failed with ENOENT after training)', async () => {
    const out = join(scratch, 'new', 'folder', 'iris.svg');
    const { code, stdout, stderr } = await run(['--example', 'iris', '--epochs', '3', '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`plot: ${out}`);
    expect(readFileSync(out, 'utf8')).toMatch(/^<svg /);
  }, 60_000);

  it('stops on Ctrl-C after the current batch, writes the plot and exits with 130', async () => {
    const out = join(scratch, 'stopped.svg');
    // The seed example trains 10 000 short epochs and prints every 1 000th.
    const { code, stdout } = await run(['--example', 'seed', '--out', out], 'epoch     1/');
    expect(stdout).toMatch(/\nstopped after \d+ epochs?\n/);
    expect(stdout).not.toMatch(/stopped after 1 epochs/);
    expect(existsSync(out)).toBe(true);
    expect(code).toBe(130);
  }, 60_000);
});
