// `npm start`'s command line (examples/main.ts, built into build/examples/) run as a user runs it:
// where it writes, and what Ctrl-C does.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  it('refuses an --out that cannot be written, and out-of-range values, before training (it failed after)', async () => {
    const folder = join(scratch, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const badOut = await run(['--example', 'iris', '--out', folder]);
    expect(badOut.code).toBe(2);
    expect(badOut.stderr).toContain(`--out ${folder} cannot be written: it is a folder`);
    expect(badOut.stdout).not.toMatch(/epoch/);
    for (const [args, message] of [
      [['--epochs', '0'], '--epochs must be in [1, 2147483647], got 0'],
      [['--lr', ''], "--lr must be a number, got ''"],
      [['--epochs', '0x10'], "--epochs must be a whole number in decimal digits, got '0x10'"],
      [['--batch-size', '1e3'], "--batch-size must be a whole number in decimal digits, got '1e3'"],
      [['--seed', '2.5'], "--seed must be a whole number in decimal digits, got '2.5'"],
      [['--momentum', '1'], '--momentum must be in [0, 1), got 1'],
      [['--example', 'toString'], "Unknown --example 'toString'"],
    ] as const) {
      const { code, stderr } = await run(['--example', 'iris', ...args]);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toContain(message);
    }
  }, 60_000);

  it('plots a run of one epoch as points, with whole-number epoch ticks', async () => {
    const out = join(scratch, 'one-epoch.svg');
    const { code } = await run(['--example', 'iris', '--epochs', '1', '--out', out]);
    expect(code).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).not.toContain('NaN');
    expect(svg).toMatch(/<circle /); // a polyline of one point drew nothing
    const xTicks = [...svg.matchAll(/text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]).filter((t) => /^-?[\d.]+$/.test(t));
    expect(xTicks.length).toBeGreaterThan(0); // the pattern still finds the epoch ticks
    expect(xTicks.every((t) => Number.isInteger(Number(t))), xTicks.join(' ')).toBe(true);
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
