// How this project starts node: with --experimental-wasm-relaxed-simd where the V8 needs it for
// relaxed SIMD (Node 20), and without it where V8 has relaxed SIMD on and refuses the flag as a
// bad option (Node 22 and later), so `npm start`, `npm test` and the benchmarks run on both.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { relaxedSimdFlagsFor } from '../scripts/node-flags.js';
import { builtEntry } from './child-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runNode = `${root}/scripts/run-node.js`;

describe('the relaxed-SIMD node flag', () => {
  it('is given to V8 before 11.4 (Node 20) and to no later one (Node 21, 22, 24)', () => {
    expect(relaxedSimdFlagsFor('11.3.244.8-node.33')).toEqual(['--experimental-wasm-relaxed-simd']);
    expect(relaxedSimdFlagsFor('10.2.154.26-node.36')).toEqual(['--experimental-wasm-relaxed-simd']);
    expect(relaxedSimdFlagsFor('11.4.183.29')).toEqual([]);
    expect(relaxedSimdFlagsFor('11.8.172.17-node.20')).toEqual([]);
    expect(relaxedSimdFlagsFor('12.4.254.21-node.33')).toEqual([]);
    expect(relaxedSimdFlagsFor('13.6.233.10-node.27')).toEqual([]);
  });

  it('lets scripts/run-node.js start a node that runs the relaxed-SIMD build', () => {
    const script = `import(${JSON.stringify(pathToFileURL(builtEntry()).href)}).then((m) => console.log(m.availableBackends().join(' ')))`;
    const stdout = execFileSync(process.execPath, [runNode, '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(stdout.trim().split(' ')).toContain('relaxed-simd');
  });

  it('leaves run-node.js exiting as its child did', () => {
    const run = spawnSync(process.execPath, [runNode, '-e', 'process.exit(3)']);
    expect(run.status).toBe(3);
  });
});
