// Loading the kernels from the wrong place fails with an error that names the place and the
// likely cause, not with the engine's "expected magic word".
import { describe, expect, it } from 'vitest';
import { compileFrom } from '../src/wasm/loader.js';
import { createBackend } from '../src/index.js';

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

  // A Vite-built page keeps the kernels in its assets folder, so the advice covers bundled pages
  // too; it named only the unbundled layout (build/ next to dist/).
  it.skipIf(!inNode)('says what to deploy when the server answers 404, bundled or not', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_request, response) => { response.statusCode = 404; response.end('not found'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      await expect(compileFrom(new URL(`http://127.0.0.1:${port}/assets/softmax-wasm.simd-1a2b.wasm`))).rejects.toThrow(
        /^softmax-wasm: could not load http:\/\/127\.0\.0\.1:\d+\/assets\/softmax-wasm\.simd-1a2b\.wasm: HTTP 404; the server has no file there: unbundled, serve the package's build\/ folder next to its dist\/ folder; bundled, deploy the \.wasm files the bundler emitted with the page/);
    } finally {
      server.close();
    }
  });

  it.skipIf(!inNode)('refuses a file that is not a wasm module', async () => {
    await expect(compileFrom(new URL('../package.json', import.meta.url))).rejects.toThrow(/package\.json is not a wasm module: the \d+ bytes received start with "\{\.  "name": "sof"\. The file is not one of the package's builds: reinstall the package/);
  });

  it('loads the builds from the folder options.wasmPath names, and refuses what is not a folder', async () => {
    const folder = new URL('../build/', import.meta.url);
    const api = await createBackend({ backend: 'simd', wasmPath: folder });
    expect(api.kind).toBe('simd');
    expect(Array.from(api.softmax(new Float32Array([0, 0]), 2))).toEqual([0.5, 0.5]);
    // Without the trailing slash, the folder is still the folder.
    expect((await createBackend({ backend: 'simd', wasmPath: new URL('../build', import.meta.url) })).kind).toBe('simd');
    if (inNode) expect((await createBackend({ backend: 'simd', wasmPath: 'build' })).kind).toBe('simd'); // against the working directory
    await expect(createBackend({ backend: 'simd', wasmPath: new URL('../no-such-folder/', import.meta.url) }))
      .rejects.toThrow(/softmax-wasm: could not (read the kernels at|load) .*no-such-folder\/softmax-wasm\.simd\.wasm.*options\.wasmPath must name the folder/);
    await expect(createBackend({ wasmPath: 42 } as never)).rejects.toThrow(
      new TypeError('createBackend: options.wasmPath must be a URL or a non-empty string (the folder holding the .wasm files), got number 42'));
    await expect(createBackend({ wasmPath: '' })).rejects.toThrow(/options\.wasmPath must be a URL or a non-empty string/);
  });
});
