// What console.log shows in Node (util.inspect): shape, backend and data, not the internals.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/index.js';
import { backend, kinds } from './backends.js';

describe.each(kinds)('util.inspect on %s', (kind) => {
  it('shows a tensor as its shape, backend and data', async () => {
    const api = await backend(kind);
    const t = api.tensor(2, 3, Float32Array.of(1, 2, 3, 4, 5, 6.5));
    expect(inspect(t)).toBe(`Tensor(2×3, ${kind}) Float32Array(6) [ 1, 2, 3, 4, 5, 6.5 ]`);
    t.dispose();
    expect(inspect(t)).toBe(`Tensor(2×3, ${kind}, disposed)`);
    using long = api.tensor(1, 300);
    expect(inspect(long)).toMatch(/^Tensor\(1×300, [a-z-]+\) Float32Array\(300\) \[\n[\s\S]* 200 more items\n\]$/);
  });

  it('shows a network as its sizes, activations and backend, and an instance as its backend', async () => {
    const api = await backend(kind);
    const net = new MLP([2, 8, 4, 3], { hidden: ['relu', 'tanh'], backend: api });
    expect(String(net)).toBe(`MLP(2→8→4→3, relu→tanh→softmax, ${kind})`);
    expect(inspect(net)).toBe(String(net));
    expect(inspect({ net })).toBe(`{ net: MLP(2→8→4→3, relu→tanh→softmax, ${kind}) }`);
    net.dispose();
    expect(String(net)).toBe(`MLP(2→8→4→3, relu→tanh→softmax, ${kind}, disposed)`);
    expect(inspect(api)).toBe(`Api(${kind})`);
  });
});
