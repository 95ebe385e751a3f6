// Finds, compiles and caches the kernels' wasm module, in Node and in browsers, from one code
// path: the .wasm files sit in build/ next to dist/ and src/, located with new URL(…,
// import.meta.url) so bundlers (Vite) see and copy them as assets, or in the folder the caller
// names (init's wasmPath) where a bundler does not.
import type { WasmPath } from '../backend.js';

export type WasmFlavor = 'relaxed-simd' | 'simd';

const FILE_NAMES: Record<WasmFlavor, string> = {
  'relaxed-simd': 'softmax-wasm.relaxed-simd.wasm',
  simd: 'softmax-wasm.simd.wasm',
};

/** How to point the library at its .wasm files, for the messages that cannot find them. */
const WASM_PATH_HINT = 'a bundle that does not copy them (esbuild, a CommonJS bundle) can copy the package\'s build/*.wasm ' +
  'to a folder of its own and pass that folder as init({ wasmPath })';

/**
 * The package's own copy of a build. Made on first use, not when this module loads: in a
 * CommonJS bundle import.meta.url is empty and `new URL` throws, which failed the whole import.
 * Each URL is written out in full, as bundlers that copy the files (Vite) look for.
 */
function packagedUrl(flavor: WasmFlavor): URL {
  try {
    return flavor === 'simd'
      ? new URL('../../build/softmax-wasm.simd.wasm', import.meta.url)
      : new URL('../../build/softmax-wasm.relaxed-simd.wasm', import.meta.url);
  } catch (cause) {
    throw new Error(`softmax-wasm: cannot locate its .wasm files: this code has no import.meta.url to find them from ` +
      `(bundled as CommonJS?); ${WASM_PATH_HINT}`, { cause });
  }
}

/**
 * A folder given as a URL or a string: an absolute URL, or a path resolved against the page
 * (browsers) or the working directory (Node), with the trailing slash the file names go after.
 */
async function folderUrl(folder: WasmPath): Promise<URL> {
  let url: URL;
  if (typeof folder !== 'string') url = new URL(folder.href);
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(folder)) url = new URL(folder);
  else if (typeof location === 'object' && typeof location.href === 'string') url = new URL(folder, location.href);
  else {
    const urlModule = 'node:url'; // a variable: bundlers targeting browsers leave it alone
    const { pathToFileURL } = (await import(/* @vite-ignore */ urlModule)) as typeof import('node:url');
    url = pathToFileURL(folder);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

// Smallest modules that use the feature: (func (result v128) i32.const 0 i8x16.splat) and, for
// relaxed SIMD, the same followed by i8x16.relaxed_swizzle. WebAssembly.validate answers
// synchronously and downloads nothing.
const featureProbes: Record<WasmFlavor, Uint8Array<ArrayBuffer>> = {
  simd: new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11,
  ]),
  'relaxed-simd': new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 0, 253, 15,
    65, 0, 253, 15, 253, 128, 2, 11,
  ]),
};

// (func (param f32 f32 f32) (result f32)) returning lane 0 of f32x4.relaxed_madd of the three
// splatted. The relaxed build's exp reduces its argument in one relaxed_madd, which is accurate
// only when the engine fuses it (assembly/vmath.ts, reduceLn2); engines lower it to a hardware
// FMA where there is one (x86 with FMA3, ARM64) and to a multiply and an add elsewhere.
const maddProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // header
  1, 8, 1, 96, 3, 125, 125, 125, 1, 125, // type (f32, f32, f32) → f32
  3, 2, 1, 0, // one function of that type
  7, 5, 1, 1, 102, 0, 0, // exported as "f"
  10, 22, 1, 20, 0, // its body, no locals:
  32, 0, 253, 19, 32, 1, 253, 19, 32, 2, 253, 19, // three f32x4.splat of the params
  253, 133, 2, 253, 31, 0, 11, // f32x4.relaxed_madd, f32x4.extract_lane 0, end
]);

// a·a + c with a = 1 + 2⁻¹² and c = −(1 + 2⁻¹¹): a·a = 1 + 2⁻¹¹ + 2⁻²⁴ exactly, so a fused
// multiply-add gives 2⁻²⁴, while rounding a·a to f32 first (a tie, to even) gives 0.
const PROBE_A = 1 + 2 ** -12;
const PROBE_C = -(1 + 2 ** -11);
let maddFuses: boolean | undefined;

// The smallest module: the header alone.
const emptyModule = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
let compiles: boolean | undefined;

/**
 * Whether this page may compile WebAssembly at all. A Content-Security-Policy whose script-src
 * lacks 'wasm-unsafe-eval' (or 'unsafe-eval') forbids it: both builds then fail to load, and
 * 'auto' must pick 'js' rather than download a build it cannot compile.
 */
export function compilesWasm(): boolean {
  if (compiles === undefined) {
    try {
      new WebAssembly.Module(emptyModule);
      compiles = true;
    } catch {
      compiles = false;
    }
  }
  return compiles;
}

/** Whether this engine has relaxed SIMD and its f32x4.relaxed_madd rounds once (is fused). */
export function relaxedMaddFuses(): boolean {
  if (maddFuses === undefined) {
    if (!validates('relaxed-simd') || !compilesWasm()) return (maddFuses = false);
    try {
      // A module this small may be compiled synchronously, on a browser's main thread too.
      const instance = new WebAssembly.Instance(new WebAssembly.Module(maddProbe));
      const f = instance.exports.f as (a: number, b: number, c: number) => number;
      maddFuses = f(PROBE_A, PROBE_A, PROBE_C) === 2 ** -24;
    } catch {
      maddFuses = false; // not expected once compilesWasm() said yes; then the build is not offered
    }
  }
  return maddFuses;
}

/** Whether this engine validates the given build's instructions. */
export function validates(flavor: WasmFlavor): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(featureProbes[flavor]);
}

/**
 * Whether this runtime can run the given build: it validates, the page may compile wasm, and for
 * the relaxed build its relaxed_madd is fused (else the relaxed build's exponentials would miss
 * the accuracy contract).
 */
export function supports(flavor: WasmFlavor): boolean {
  return flavor === 'relaxed-simd' ? relaxedMaddFuses() : validates(flavor) && compilesWasm();
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The compiled module of one build, from the package's build/ folder or from `folder` (init's
 * wasmPath); compiled once per file per process or page.
 */
export async function compileKernels(flavor: WasmFlavor, folder?: WasmPath): Promise<WebAssembly.Module> {
  const url = folder === undefined ? packagedUrl(flavor) : new URL(FILE_NAMES[flavor], await folderUrl(folder));
  let module = compiled.get(url.href);
  if (!module) {
    module = compileFrom(url, folder !== undefined);
    // A failed load must not poison later attempts (e.g. a transient fetch error).
    module.catch(() => compiled.delete(url.href));
    compiled.set(url.href, module);
  }
  return module;
}

/**
 * Compiles the module at url: a file: URL read from disk, any other fetched. `named` says the
 * caller gave the folder (init's wasmPath), which the messages then blame instead of the package.
 */
export async function compileFrom(url: URL, named = false): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    // Node (or another runtime reading local files). The specifier is a variable so bundlers
    // targeting browsers leave it alone; this branch never runs there.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readFile(url);
    } catch (error) {
      throw new Error(`softmax-wasm: could not read the kernels at ${url.pathname} (${(error as Error).message}); ` + (named
        ? 'options.wasmPath must name the folder holding the package\'s build/*.wasm files'
        : 'the package\'s build/ folder must sit next to its dist/ folder (reinstall it, or run `npm run build` in a clone); ' +
          WASM_PATH_HINT));
    }
    return WebAssembly.compile(checkedWasm(url, bytes));
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`softmax-wasm: could not load ${url.href}: HTTP ${response.status}; ` + (named
      ? 'options.wasmPath must name the folder the server has the package\'s build/*.wasm files in'
      : 'the server has no file there: unbundled, serve the package\'s build/ folder next to its dist/ folder; ' +
        `bundled, deploy the .wasm files the bundler emitted with the page (Vite puts them in its assets folder); ${WASM_PATH_HINT}`));
  }
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch {
      // Servers that do not send Content-Type: application/wasm make streaming fail; the bytes
      // are still good. Others answered with another file (below).
    }
  }
  return WebAssembly.compile(checkedWasm(url, new Uint8Array(await response.arrayBuffer()), response.headers.get('content-type')));
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

/**
 * The bytes, if they are a wasm module. A server that answers a missing file with a page (Vite's
 * dev server sends index.html with status 200) would otherwise fail in the engine with "expected
 * magic word", which names neither the URL nor the cause.
 */
function checkedWasm(url: URL, bytes: Uint8Array<ArrayBuffer>, contentType?: string | null): Uint8Array<ArrayBuffer> {
  if (WASM_MAGIC.every((byte, i) => bytes[i] === byte)) return bytes;
  const start = String.fromCharCode(...bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
  const cause = url.protocol === 'file:'
    ? 'The file is not one of the package\'s builds: reinstall the package, or run `npm run build` in a clone'
    : 'The server has no file there, or answered with another one. If a bundler moved the package\'s code ' +
      'away from its build/ folder (Vite\'s dev server does, when it pre-bundles dependencies), exclude ' +
      'softmax-wasm from that step: optimizeDeps: { exclude: [\'softmax-wasm\'] }';
  throw new Error(`softmax-wasm: ${url.href} is not a wasm module: the ${bytes.length} bytes received start with ` +
    `"${start}"${contentType ? ` (content-type ${contentType})` : ''}. ${cause}`);
}
