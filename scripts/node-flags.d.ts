// Types of node-flags.js, for the TypeScript that imports it (tests, benchmarks, vitest configs).
/** The flags for a V8 version such as process.versions.v8 ('11.3.244.8-node.33'). */
export declare function relaxedSimdFlagsFor(v8Version: string): string[];
/** This node's: the flag on Node 20, none on Node 22 and later. */
export declare const relaxedSimdFlags: string[];
