// How Node's console.log and util.inspect show the library's objects. Without it a Tensor prints
// its backend's internals (the kernels table, the memory) and not its shape or data, and an MLP
// prints `MLP {}`. Symbol.for gives the key Node looks up; elsewhere it is an unused property.

/** Node's `util.inspect.custom`. */
export const inspectSymbol: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

/** The inspect function Node passes to a custom inspector, to format nested values. */
export type Inspect = (value: unknown, options?: object) => string;
