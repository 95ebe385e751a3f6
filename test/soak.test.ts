// The reduced soak: scripts/soak.js with 10 000 mixed calls and MLP cycles, in a child process
// with --expose-gc. Wasm memory and the wasm heap must be exactly where the warm-up left them;
// RSS within the script's slack. `npm run soak` runs the full 10^6 calls.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kinds } from './backends.js';
import { builtEntry } from './child-process.js';
import { relaxedSimdFlags } from '../scripts/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe.each(kinds)('soak (reduced) on %s', (kind) => {
  it('keeps memory flat over 10 000 mixed calls and 20 MLP cycles', () => {
    builtEntry();
    let stdout: string;
    try {
      stdout = execFileSync(process.execPath, [
        '--expose-gc', ...relaxedSimdFlags, `${root}/scripts/soak.js`,
        '--calls', '10000', '--cycles', '20', '--backend', kind, '--json',
      ], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    } catch (error) {
      // Exit status 1 means a check failed: show the report.
      stdout = (error as { stdout?: string }).stdout ?? '';
      if (!stdout) throw error;
    }
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(report.backend).toBe(kind);
    expect(report.refusedCalls).toBeGreaterThan(100);
    const { rssFlat, ...exact } = report.checks;
    expect(exact).toEqual({ wasmMemoryFlat: true, heapFlat: true, jsHeapFlat: true });
    // The JS backend's results are ArrayBuffers from malloc, whose arenas keep growing RSS for a
    // while after 1 000 warm-up calls (flat by 10^5 calls: see the README's soak figures); the wasm
    // builds allocate in wasm memory and are flat from the start.
    if (kind !== 'js') expect(rssFlat).toBe(true);
  });
});
