// Finds, compiles and caches the kernels' wasm module, in Node and in browsers, from one code
// path: the .wasm files sit in build/ next to dist/ and src/, located with new URL(…,
// import.meta.url) so bundlers (Vite) see and copy them as assets.

export type WasmFlavor = 'relaxed-simd' | 'simd';

const moduleUrls: Record<WasmFlavor, URL> = {
  'relaxed-simd': new URL('../../build/softmax-wasm.relaxed-simd.wasm', import.meta.url),
  simd: new URL('../../build/softmax-wasm.simd.wasm', import.meta.url),
};

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

/** Whether this runtime can run the given build. */
export function supports(flavor: WasmFlavor): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(featureProbes[flavor]);
}

const compiled = new Map<WasmFlavor, Promise<WebAssembly.Module>>();

/** The compiled module of one build; compiled once per process or page. */
export function compileKernels(flavor: WasmFlavor): Promise<WebAssembly.Module> {
  let module = compiled.get(flavor);
  if (!module) {
    module = compileFrom(moduleUrls[flavor]);
    // A failed load must not poison later attempts (e.g. a transient fetch error).
    module.catch(() => compiled.delete(flavor));
    compiled.set(flavor, module);
  }
  return module;
}

async function compileFrom(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    // Node (or another runtime reading local files). The specifier is a variable so bundlers
    // targeting browsers leave it alone; this branch never runs there.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`softmax-wasm: could not load ${url.href}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch {
      // Servers that do not send Content-Type: application/wasm make streaming fail; the bytes
      // are still good.
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
