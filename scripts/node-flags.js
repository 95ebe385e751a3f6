// The node flag relaxed SIMD needs, only where it needs it. V8 ships relaxed SIMD from 11.4
// (Chrome 114). Node 20's V8 11.3 validates it only with --experimental-wasm-relaxed-simd; Node 22
// and later (V8 12 and up) have it on, and refuse that flag as a bad option: node exits at once.
// Everything that starts node for this project takes its flags from here: the package.json
// scripts (through run-node.js), vitest's workers, and the child processes of tests and benchmarks.

const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

/** The flags for a V8 version such as process.versions.v8 ('11.3.244.8-node.33'). */
export function relaxedSimdFlagsFor(v8Version) {
  const [major, minor] = v8Version.split('.').map(Number);
  return major < 11 || (major === 11 && minor < 4) ? [RELAXED_SIMD_FLAG] : [];
}

/** This node's: the flag on Node 20, none on Node 22 and later. */
export const relaxedSimdFlags = relaxedSimdFlagsFor(process.versions.v8);
