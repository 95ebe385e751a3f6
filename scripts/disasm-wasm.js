// Prints the x86-64 code V8's optimising compiler (TurboFan) generates for one function of a
// kernel build, to check an inner loop for register spills (`[rbp-…]` traffic) and stray
// instructions. Release builds of Node have no --print-wasm-code, so this compiles the module
// eagerly with --perf-prof, which writes every code object to a jitdump file, and disassembles
// the named function's bytes with objdump (binutils).
//
//   node scripts/disasm-wasm.js build/softmax-wasm.relaxed-simd.wasm gemm4x8
//
// The function is found by its name in the .wat beside the .wasm ($assembly/<file>/<name>).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { relaxedSimdFlags } from './node-flags.js';

const [wasmArg, name] = process.argv.slice(2);
if (!wasmArg || !name) {
  console.error('usage: node scripts/disasm-wasm.js <build/….wasm> <function name>');
  process.exit(2);
}
const wasmPath = resolve(wasmArg);
const wat = readFileSync(wasmPath.replace(/\.wasm$/, '.wat'), 'utf8');
const imports = [...wat.matchAll(/^ \(import "[^"]*" "[^"]*" \(func /gm)].length;
const functions = [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]);
const index = functions.findIndex((f) => f.endsWith(`/${name}`));
if (index < 0) {
  console.error(`disasm-wasm: no function named ${name} in the .wat (has: ${functions.join(', ')})`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'disasm-wasm-'));
try {
  const compile = `const m = await WebAssembly.compile(require('fs').readFileSync(${JSON.stringify(wasmPath)}));`
    + 'await WebAssembly.instantiate(m, { env: { abort() {} } });';
  execFileSync(process.execPath, [
    ...relaxedSimdFlags, '--no-liftoff', '--no-wasm-lazy-compilation', '--no-wasm-dynamic-tiering',
    '--perf-prof', '--input-type=commonjs', '-e', `(async () => { ${compile} })()`,
  ], { cwd: dir, stdio: 'inherit' });
  const dump = readFileSync(join(dir, readdirSync(dir).find((f) => f.startsWith('jit-'))));
  // jitdump: a 40-byte header, then records { id u32, size u32, timestamp u64, … }; id 0 is
  // JIT_CODE_LOAD { pid u32, tid u32, vma u64, code_addr u64, code_size u64, code_index u64,
  // name (NUL-terminated), code bytes }.
  const wanted = `wasm-function[${index + imports}]`;
  for (let offset = 40; offset < dump.length;) {
    const id = dump.readUInt32LE(offset), size = dump.readUInt32LE(offset + 4);
    if (id === 0) {
      const address = dump.readBigUInt64LE(offset + 32), codeSize = Number(dump.readBigUInt64LE(offset + 40));
      const nameEnd = dump.indexOf(0, offset + 56);
      const recordName = dump.toString('utf8', offset + 56, nameEnd);
      if (recordName.includes(wanted) && recordName.includes('turbofan')) {
        const bin = join(dir, 'code.bin');
        writeFileSync(bin, dump.subarray(nameEnd + 1, nameEnd + 1 + codeSize));
        console.log(`${functions[index]} (${recordName}, ${codeSize} bytes)`);
        console.log(execFileSync('objdump', [
          '-D', '-b', 'binary', '-mi386:x86-64', '-M', 'intel', `--adjust-vma=0x${address.toString(16)}`, bin,
        ], { encoding: 'utf8' }).split('\n').slice(7).join('\n'));
        process.exit(0);
      }
    }
    offset += size;
  }
  console.error(`disasm-wasm: V8 emitted no TurboFan code for ${wanted}`);
  process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
