// Loading the kernels from the wrong place fails with an error that names the place and the
// likely cause, not with the engine's "expected magic word".
import { describe, expect, it } from 'vitest';
import { compileFrom } from '../src/wasm/loader.js';

const inNode = typeof window === 'undefined';

describe('the wasm loader', () => {
  it('refuses an HTML page served where the module should be (a dev server\'s fallback), naming the URL', async () => {
    const page = new URL('data:text/html,<!doctype html><html><body>app</body></html>');
    const failure = compileFrom(page);
    await expect(failure).rejects.toThrow(/^softmax-wasm: data:text\/html,.* is not a wasm module: the 44 bytes received start with "<!doctype html><"/);
    await expect(failure).rejects.toThrow('(content-type text/html)');
    await expect(failure).rejects.toThrow("optimizeDeps: { exclude: ['softmax-wasm'] }");
  });

  it('still compiles a module served with a content type other than application/wasm', async () => {
    // (module) — the 8-byte header alone: compileStreaming refuses the content type, the
    // fallback compiles the bytes.
    const empty = new URL('data:application/octet-stream;base64,AGFzbQEAAAA=');
    await expect(compileFrom(empty)).resolves.toBeInstanceOf(WebAssembly.Module);
  });

  it.skipIf(!inNode)('says where it looked when a build file is missing, and what to do', async () => {
    const missing = new URL('../build/no-such-build.wasm', import.meta.url);
    await expect(compileFrom(missing)).rejects.toThrow(
      /^softmax-wasm: could not read the kernels at .*\/build\/no-such-build\.wasm \(ENOENT: .*\); the package's build\/ folder must sit next to its dist\/ folder/);
  });

  it.skipIf(!inNode)('refuses a file that is not a wasm module', async () => {
    await expect(compileFrom(new URL('../package.json', import.meta.url))).rejects.toThrow(/package\.json is not a wasm module: the \d+ bytes received start with "\{\.  "name": "sof"\. The file is not one of the package's builds: reinstall the package/);
  });
});
