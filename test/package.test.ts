// The package as a user gets it: `npm pack` (of the dist/ and build/ that `npm test` builds first),
// installed from the tarball into an empty project — so only the files `package.json` ships, and
// no dependency (onnx-proto, the optional peer of the ONNX methods, is installed after a check
// without it) — then imported by name from Node (as ES modules and from CommonJS), compiled
// against by a strict TypeScript project, and asked for its documentation by TypeScript's
// language service, as an editor would. The rest of the suite imports src/ or the
// repository's own dist/, which would not notice a file missing from `files`, a dev-only import,
// or declarations that need the repository's compiler settings or lose their docs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinds, oracle } from './backends.js';
import { builtEntry } from './child-process.js';
import { relaxedSimdFlags } from '../scripts/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let project = '';
let packed: string[] = [];
let installed = '';
let withoutOnnxProto: { packages: string[]; softmax: number[]; error: string };

// Runs in the consumer project before onnx-proto is installed. Prints one JSON line.
const NO_ONNX_CONSUMER = `
import { readdirSync } from 'node:fs';
import { init, softmax, MLP } from 'softmax-wasm';
await init({ backend: 'js' });
const softmaxOut = Array.from(softmax(new Float32Array([2.0, 1.0, 0.1]), 3));
const error = await new MLP([2, 3, 2], { seed: 1 }).toONNX().then(() => 'no error', (e) => e.message);
const packages = readdirSync('node_modules').filter((name) => !name.startsWith('.'));
console.log(JSON.stringify({ packages, softmax: softmaxOut, error }));
`;

beforeAll(() => {
  builtEntry(); // npm pack packs what is built
  project = mkdtempSync(join(tmpdir(), 'softmax-wasm-package-'));
  // --ignore-scripts: `prepack` would rebuild what pretest has just built.
  const [pack] = JSON.parse(execFileSync(
    npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', project],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  )) as { filename: string; files: { path: string }[] }[];
  packed = pack.files.map((f) => f.path);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync(
    npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `./${pack.filename}`],
    { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 },
  );
  installed = join(project, 'node_modules', 'softmax-wasm');
  // onnx-proto is an optional peer dependency: absent, the ONNX methods must say how to get it;
  // then the consumer installs it, as the README says, for the tests that export ONNX.
  writeFileSync(join(project, 'no-onnx.mjs'), NO_ONNX_CONSUMER);
  withoutOnnxProto = JSON.parse(execFileSync(process.execPath, ['no-onnx.mjs'], { cwd: project, encoding: 'utf8' }).trim()) as
    typeof withoutOnnxProto;
  const { peerDependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
  execFileSync(
    npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `onnx-proto@${peerDependencies['onnx-proto']}`],
    { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 170_000 },
  );
}, 300_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships the entry, its declarations, both wasm builds, the README and the licence, and no sources or tests', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'build/softmax-wasm.simd.wasm',
      'build/softmax-wasm.relaxed-simd.wasm', 'README.md', 'LICENSE', 'package.json']) {
      expect(packed).toContain(file);
    }
    const stray = packed.filter((f) => /^(src|assembly|test|test-browser|bench|examples|demo|scripts)\//.test(f) && f !== 'bench/RESULTS.md');
    expect(stray).toEqual([]);
  });

  it('holds every file its README links to (the benchmark results, the demo picture)', () => {
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]).filter((target) => !/^[a-z]+:/.test(target));
    expect(linked).toContain('bench/RESULTS.md');
    expect(linked.filter((target) => !packed.includes(target))).toEqual([]);
  });

  it('has no script npm runs when the tarball is installed', () => {
    // npm 11 warned on every install of the tarball: "1 package has install scripts not yet
    // covered by allowScripts: softmax-wasm@0.1.0 (prepare: npm run build)". The build now runs
    // before npm pack (prepack) and npm start (prestart) instead.
    const { scripts } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(Object.keys(scripts).filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name))).toEqual([]);
  });

  it('carries the TypeScript sources inside its source maps, since src/ is not shipped', () => {
    const maps = packed.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(10);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as
        { sources: string[]; sourcesContent?: (string | null)[] };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(sourcesContent!.every((text) => typeof text === 'string' && text.length > 0), map).toBe(true);
    }
  });
});

// Runs in the consumer project, so 'softmax-wasm' resolves to the installed copy. Prints one JSON line.
const NODE_CONSUMER = `
import { init, backendKind, softmax, crossEntropy, MLP } from 'softmax-wasm';
await init({ backend: process.argv[2] });
const logits = new Float32Array([2.0, 1.0, 0.1, 1, 5, 3]);
const probabilities = Array.from(softmax(logits, 3));
const { loss, grad } = crossEntropy(logits, [0, 1], 3, { grad: true });
// The ONNX methods import onnx-proto, the optional peer dependency installed above, on first use.
const net = new MLP([3, 4, 2], { seed: 3 });
const copy = await MLP.fromONNX(await net.toONNX());
const x = Float32Array.of(0.5, -1, 2);
console.log(JSON.stringify({
  kind: backendKind(), probabilities, loss, grad: Array.from(grad),
  onnxSame: Array.from(copy.predict(x)).every((p, i) => p === net.predict(x)[i]),
}));
`;

describe('the installed package without its optional peer onnx-proto', () => {
  it('installs nothing else, runs, and has the ONNX methods say to npm install onnx-proto', () => {
    expect(withoutOnnxProto.packages).toEqual(['softmax-wasm']);
    expect(withoutOnnxProto.softmax[0]).toBeCloseTo(0.659001, 6);
    expect(withoutOnnxProto.error).toMatch(/^MLP\.toONNX: could not load the 'onnx-proto' package that encodes ONNX \(in Node: npm install onnx-proto;/);
  });
});

describe.each(kinds)('the installed package in Node, on %s', (kind) => {
  it('computes the README example as the oracle does, and round-trips an MLP through ONNX', async () => {
    writeFileSync(join(project, 'consumer.mjs'), NODE_CONSUMER);
    const stdout = execFileSync(
      process.execPath, [...relaxedSimdFlags, 'consumer.mjs', kind],
      { cwd: project, encoding: 'utf8', timeout: 60_000 },
    );
    const got = JSON.parse(stdout.trim().split('\n').at(-1)!) as
      { kind: string; probabilities: number[]; loss: number; grad: number[]; onnxSame: boolean };
    expect(got.kind).toBe(kind);

    const js = await oracle();
    const logits = new Float32Array([2.0, 1.0, 0.1, 1, 5, 3]);
    const want = js.crossEntropy(logits, [0, 1], 3, { grad: true });
    const close = (a: number[], b: ArrayLike<number>) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
    close(got.probabilities, js.softmax(logits, 3));
    close(got.grad, want.grad!);
    expect(got.loss).toBeCloseTo(want.loss, 6);
    expect(got.onnxSame).toBe(true);
  });
});

// The package is ES modules only. Node ≥ 20.19 / 22.12 can require() them (it has no top-level
// await); older Node must say so plainly instead of "No exports main defined".
const COMMONJS_CONSUMER = `
const { init, softmax, backendKind } = require('softmax-wasm');
init({ backend: 'simd' }).then(() => console.log(JSON.stringify({
  kind: backendKind(), probabilities: Array.from(softmax(new Float32Array([2.0, 1.0, 0.1]), 3)),
})));
`;

describe('the installed package from CommonJS', () => {
  it(process.features.require_module
    ? 'loads with require() and computes softmax'
    : 'is refused by require() with ERR_REQUIRE_ESM, which says to use import()', async () => {
    writeFileSync(join(project, 'consumer.cjs'), COMMONJS_CONSUMER);
    const run = () => execFileSync(process.execPath, ['consumer.cjs'], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    if (!process.features.require_module) {
      expect(run).toThrow(/ERR_REQUIRE_ESM/);
      return;
    }
    const got = JSON.parse(run().trim().split('\n').at(-1)!) as { kind: string; probabilities: number[] };
    expect(got.kind).toBe('simd');
    const want = (await oracle()).softmax(new Float32Array([2.0, 1.0, 0.1]), 3);
    got.probabilities.forEach((p, i) => expect(p).toBeCloseTo(want[i], 6));
  });
});

// A consumer bundling the package with esbuild, which does not copy files that code finds through
// new URL(…, import.meta.url): as CommonJS the bundle failed on load ("Invalid URL"), and either
// bundle looked for the .wasm files beside itself. init({ wasmPath }) names their folder.
const BUNDLED_CONSUMER = `
import { init, softmax } from 'softmax-wasm';
const wasmPath = process.env.WASM_PATH || undefined;
init({ backend: 'simd', wasmPath }).then(
  () => console.log(JSON.stringify({ probabilities: Array.from(softmax(new Float32Array([2.0, 1.0, 0.1]), 3)) })),
  (error) => console.log(JSON.stringify({ error: error.message })),
);
`;

describe('the installed package.json', () => {
  it('can be imported, as tools read a package\'s version', () => {
    const version = execFileSync(process.execPath, [
      '--input-type=module', '-e', "import p from 'softmax-wasm/package.json' with { type: 'json' }; console.log(p.version);",
    ], { cwd: project, encoding: 'utf8' }).trim();
    expect(version).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('the installed package bundled by esbuild', () => {
  it.each(['cjs', 'esm'] as const)('as %s: loads, says to pass init({ wasmPath }), and runs with it', async (format) => {
    const esbuild = await import('esbuild');
    const dir = join(project, `bundle-${format}`);
    writeFileSync(join(project, `bundled-${format}.mjs`), BUNDLED_CONSUMER);
    await esbuild.build({
      entryPoints: [join(project, `bundled-${format}.mjs`)], bundle: true, platform: 'node', format,
      outfile: join(dir, format === 'cjs' ? 'app.cjs' : 'app.mjs'), logLevel: 'silent',
    });
    const run = (wasmPath: string) => JSON.parse(execFileSync(
      process.execPath, [join(dir, format === 'cjs' ? 'app.cjs' : 'app.mjs')],
      { cwd: tmpdir(), encoding: 'utf8', env: { ...process.env, WASM_PATH: wasmPath } },
    ).trim()) as { probabilities?: number[]; error?: string };
    const refused = run('');
    expect(refused.error).toMatch(format === 'cjs'
      ? /^softmax-wasm: cannot locate its \.wasm files: this code has no import\.meta\.url to find them from .*init\(\{ wasmPath \}\)$/
      : /^softmax-wasm: could not read the kernels at .*softmax-wasm\.simd\.wasm \(ENOENT.*init\(\{ wasmPath \}\)$/);
    // The README's recipe: the package's build/*.wasm copied to a folder of the app's own.
    const wasm = join(dir, 'wasm');
    execFileSync(process.execPath, ['-e', `const fs = require('fs'); fs.mkdirSync(${JSON.stringify(wasm)}); for (const f of fs.readdirSync(${JSON.stringify(join(installed, 'build'))})) fs.copyFileSync(${JSON.stringify(join(installed, 'build'))} + '/' + f, ${JSON.stringify(wasm)} + '/' + f)`]);
    const want = (await oracle()).softmax(new Float32Array([2.0, 1.0, 0.1]), 3);
    run(wasm).probabilities!.forEach((p, i) => expect(p).toBeCloseTo(want[i], 6));
    expect(run('/no/such/folder').error).toMatch(/could not read the kernels at \/no\/such\/folder\/softmax-wasm\.simd\.wasm .*options\.wasmPath must name the folder/);
  });
});

describe('the installed declarations', () => {
  // A strict project that sets none of the repository's options: no @types/node, declarations
  // checked (skipLibCheck off), and a lib that stops at ES2022 (no ESNext.Disposable, and no DOM:
  // fit's signal was typed AbortSignal, which it lacks).
  const compile = (source: string) => {
    writeFileSync(join(project, 'consumer.ts'), source);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'],
        types: [], strict: true, skipLibCheck: false, noEmit: true,
      },
      files: ['consumer.ts'],
    }));
    try {
      execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout);
    }
  };

  it('compile in a strict project with skipLibCheck off', () => {
    expect(compile(`
      import { init, softmax, crossEntropy, tensor, MLP, type BackendKind } from 'softmax-wasm';
      const kind: BackendKind = 'simd';
      await init({ backend: kind });
      const p: Float32Array = softmax(new Float32Array([1, 2, 3]), 3);
      const loss: number = crossEntropy(p, [0], 3).loss;
      const t = tensor(1, 3, p);
      const net = new MLP([3, 2]);
      net[Symbol.dispose]();
      t.dispose();
      export { loss };
    `)).toBe('');
  });

  it("are the package's real types: a wrong argument is a compile error", () => {
    expect(compile(`
      import { softmax } from 'softmax-wasm';
      softmax([1, 2, 3], 3);
    `)).toMatch(/consumer\.ts\(3,\d+\): error TS\d+:[^]*'number\[\]' is not assignable to parameter of type 'Data'/);
  });

  it('give editors the documentation of every function and class the package exports', async () => {
    // What an editor shows: signature help inside `name(` for a function, hover over a class.
    const exports = Object.entries(await import('../src/index.js'));
    const isClass = (value: unknown) => /^class\b/.test(Function.prototype.toString.call(value));
    const used = exports.filter(([, value]) => typeof value === 'function');
    expect(used.length).toBeGreaterThan(20);
    let text = `import { ${used.map(([name]) => name).join(', ')} } from 'softmax-wasm';\n`;
    const probes = used.map(([name, value]) => {
      const probe = { name, isClass: isClass(value), position: text.length + name.length + (isClass(value) ? -1 : 1) };
      text += isClass(value) ? `${name};\n` : `${name}();\n`;
      return probe;
    });
    const file = join(project, 'editor.ts');
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], strict: true,
    };
    const read = (path: string) => (path === file ? text : ts.sys.readFile(path));
    const service = ts.createLanguageService({
      getScriptFileNames: () => [file], getScriptVersion: () => '1',
      getScriptSnapshot: (path) => { const content = read(path); return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content); },
      getCurrentDirectory: () => project, getCompilationSettings: () => options, getDefaultLibFileName: ts.getDefaultLibFilePath,
      fileExists: (path) => path === file || ts.sys.fileExists(path), readFile: read,
      readDirectory: ts.sys.readDirectory, directoryExists: ts.sys.directoryExists, getDirectories: ts.sys.getDirectories,
    });
    const undocumented = probes.filter(({ isClass, position }) => {
      const parts = isClass
        ? service.getQuickInfoAtPosition(file, position)?.documentation
        : service.getSignatureHelpItems(file, position, undefined)?.items[0]?.documentation;
      return ts.displayPartsToString(parts ?? []).trim() === '';
    }).map(({ name }) => name);
    expect(undocumented).toEqual([]);
  });
});
