// The README's code blocks run, and the values their comments show are the values they compute.
//
// Every ```ts / ```js block of README.md runs as its own ES module in a fresh Node (against the
// built dist/, as a user's code would), one after another in one scratch directory, so a block
// may read a file an earlier one wrote. A block without imports is a fragment: it gets every
// export of the package and `await init()` first. A block preceded by `<!-- not run: reason -->`
// is left out (it needs another runtime or a browser); the test names each one left out.
//
// A statement's comment — on its line, and on the comment lines right below it — is a check when
// it reads as one:
//   // TypeError: message        the statement throws that error, with that message ("…" ends a prefix)
//   // name = … = value          variable `name` of the statement holds `value`
//   // → [1, 2] { loss: 3 }      the numbers and booleans inside brackets and braces, in order, are
//                                the value's (a console.log's arguments; an object's fields in order)
//   // ≈ 0.5, prose / // true     a leading literal is the value's first entry
// Anything else is prose. A number with d decimals matches within half a unit of its last digit
// (plus float32 rounding); "≈" allows a whole unit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { builtEntry } from './child-process.js';
import { relaxedSimdFlags } from '../scripts/node-flags.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const packageEntry = pathToFileURL(builtEntry()).href;

interface Block { line: number; code: string; notRun?: string }

function readmeBlocks(): Block[] {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|js)\s*$/.test(lines[i])) continue;
    const start = i;
    while (!lines[++i].startsWith('```'));
    let before = start - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const notRun = /^<!-- not run: (.+) -->$/.exec(lines[before]?.trim() ?? '')?.[1];
    blocks.push({ line: start + 1, code: lines.slice(start + 1, i).join('\n'), notRun });
  }
  return blocks;
}

// ---- Checks: what a comment claims ----

/** A value a comment shows, and how far from it a computed value may be. */
interface Expected { value: number | boolean; tolerance: number }
interface Check { text: string; name?: string; error?: { name: string; message: string }; expected?: Expected[]; leading?: boolean }

const NUMBER = String.raw`[−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?`;

function literal(token: string, approximate: boolean): Expected {
  if (token === 'true' || token === 'false') return { value: token === 'true', tolerance: 0 };
  const value = Number(token.replace(/−/g, '-'));
  const decimals = /\.(\d+)/.exec(token)?.[1].length ?? 0;
  const unit = 10 ** -decimals;
  return { value, tolerance: (approximate ? unit : unit / 2) + Math.abs(value) * 2 ** -23 };
}

function parseCheck(text: string, names: string[]): Check | null {
  const error = /^(\w*Error): (.+)$/.exec(text);
  if (error) return { text, error: { name: error[1], message: error[2] } };
  let body = text.replace(/^→\s*/, '');
  let name: string | undefined;
  const named = /^([A-Za-z_$][\w$]*) = (.+)$/.exec(body);
  if (named && names.includes(named[1])) {
    name = named[1];
    body = named[2].split(' = ').at(-1)!;
  }
  // Leading literals, separated by commas, each followed by a comma, a colon, a space and "(" or
  // the end: "≈ 0.0004", "true, fewer than 200", "0.748715, 12, 2: …". "4 rows × 2" is prose.
  const leading = new RegExp(String.raw`^(≈\s*)?(${NUMBER}|true|false)(?=$|,|:| \()`);
  const expected: Expected[] = [];
  for (let rest = body, m = leading.exec(rest); m; rest = rest.slice(m[0].length).replace(/^,\s*/, ''), m = leading.exec(rest)) {
    expected.push(literal(m[2], Boolean(m[1])));
  }
  if (expected.length > 0) return { text, name, expected, leading: true };
  const start = body.search(/[[{]/);
  if (start < 0) return null;
  // Only what stands inside brackets or braces counts ("Float32Array(9) [ … ]" is nine numbers),
  // in the groups from the first one on that only spaces and commas separate: "[1, 2] [3]" is
  // three numbers, "[0, 1]: the support {1, 2}" two.
  let depth = 0, inside = '';
  for (const ch of body.slice(start)) {
    if (depth === 0 && !/[[{\s,]/.test(ch)) break;
    if (ch === '[' || ch === '{') depth++;
    inside += depth > 0 ? ch : ' ';
    if (ch === ']' || ch === '}') depth--;
  }
  const tokens = new RegExp(String.raw`(≈\s*)?(${NUMBER}|true|false)(?![\w.])`, 'g');
  // "Float32Array(3)" inside a group is a type, not a value.
  const scanned = inside.replace(/[A-Za-z_$][\w$]*\(\d+\)/g, ' ');
  for (const m of scanned.matchAll(tokens)) {
    // Keys and words ("loss:", "Float32Array") are not values; a digit inside a word is not a number.
    const before = scanned[m.index - 1];
    if (before !== undefined && /[\w$]/.test(before)) continue;
    expected.push(literal(m[2], Boolean(m[1])));
  }
  return { text, name, expected };
}

// ---- Instrumenting a block ----

interface Probe { id: number; line: number; checks: Check[] }

function boundNames(declarations: ts.VariableDeclarationList): string[] {
  const names: string[] = [];
  const visit = (node: ts.BindingName) => {
    if (ts.isIdentifier(node)) names.push(node.text);
    else for (const element of node.elements) if (!ts.isOmittedExpression(element)) visit(element.name);
  };
  for (const declaration of declarations.declarations) visit(declaration.name);
  return names;
}

/** Comment lines attached to a statement, grouped into check texts (a bracket may span lines). */
function commentTexts(lines: string[], endLine: number, endColumn: number): string[] {
  const raw: string[] = [];
  const trailing = /^\s*\/\/\s?(.*)$/.exec(lines[endLine].slice(endColumn));
  if (trailing) raw.push(trailing[1].trim());
  for (let k = endLine + 1; k < lines.length; k++) {
    const own = /^\s*\/\/\s?(.*)$/.exec(lines[k]);
    if (!own) break;
    raw.push(own[1].trim());
  }
  const texts: string[] = [];
  let open = 0;
  for (const line of raw) {
    if (open > 0) texts[texts.length - 1] += ' ' + line;
    else texts.push(line);
    for (const ch of line) open += ch === '[' || ch === '{' ? 1 : ch === ']' || ch === '}' ? -1 : 0;
  }
  return texts;
}

function instrument(block: Block, packageNames: string[]): { source: string; probes: Probe[] } {
  const file = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines = block.code.split('\n');
  const probes: Probe[] = [];
  let out = '';
  let last = 0;
  for (const statement of file.statements) {
    const end = file.getLineAndCharacterOfPosition(statement.getEnd());
    const names = ts.isVariableStatement(statement) ? boundNames(statement.declarationList) : [];
    const checks = commentTexts(lines, end.line, end.character)
      .map((text) => parseCheck(text, names))
      .filter((check): check is Check => check !== null);
    if (checks.length === 0) continue;
    const id = probes.length;
    probes.push({ id, line: block.line + 1 + end.line, checks });
    out += block.code.slice(last, statement.getStart(file));
    if (ts.isVariableStatement(statement)) {
      out += `${statement.getText(file)}\n__probe(${id}, ${names.length === 1 ? names[0] : `{ ${names.join(', ')} }`}, { ${names.join(', ')} });`;
    } else if (ts.isExpressionStatement(statement)) {
      const expression = statement.expression;
      const isLog = ts.isCallExpression(expression) && expression.expression.getText(file) === 'console.log';
      const value = isLog
        ? `[${(expression as ts.CallExpression).arguments.map((a) => a.getText(file)).join(', ')}]`
        : `(${expression.getText(file)})`;
      out += `try { const __value = ${value};${isLog ? ' console.log(...__value);' : ''} __probe(${id}, __value, {}); } catch (__error) { __thrown(${id}, __error); }`;
    } else {
      throw new Error(`README.md:${block.line}: a check after a ${ts.SyntaxKind[statement.kind]}, which this test cannot probe`);
    }
    last = statement.getEnd();
  }
  out += block.code.slice(last);

  const importsPackage = file.statements.some((s) => ts.isImportDeclaration(s));
  const prelude = importsPackage ? '' :
    `import * as __package from 'softmax-wasm';\nconst { ${packageNames.join(', ')} } = __package;\nawait init();\n`;
  const harness = `
import { appendFileSync as __append } from 'node:fs';
const __flatten = (v) => v === undefined || typeof v === 'function' ? []
  : typeof v === 'number' ? [Number.isFinite(v) ? v : String(v)]
  : typeof v === 'boolean' || typeof v === 'string' ? [v]
  : ArrayBuffer.isView(v) || Array.isArray(v) ? Array.from(v).flatMap(__flatten)
  : typeof v === 'object' && v !== null ? Object.values(v).flatMap(__flatten) : [String(v)];
const __probe = (id, value, named) => __append(process.env.README_PROBES, JSON.stringify({ id, values: __flatten(value),
  named: Object.fromEntries(Object.entries(named).map(([k, v]) => [k, __flatten(v)])) }) + '\\n');
const __thrown = (id, error) => __append(process.env.README_PROBES, JSON.stringify({ id, error: { name: error?.name, message: error?.message } }) + '\\n');
`;
  const { outputText } = ts.transpileModule(prelude + out, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  // Every import of the package goes to the built entry, wherever the scratch file lives.
  return { source: harness + outputText.replace(/(['"])softmax-wasm\1/g, `'${packageEntry}'`), probes };
}

// ---- The tests ----

interface Report { id: number; values?: (number | boolean | string)[]; named?: Record<string, (number | boolean | string)[]>; error?: { name: string; message: string } }

const scratch = mkdtempSync(join(tmpdir(), 'softmax-wasm-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const blocks = readmeBlocks();
const packageNames = Object.keys(await import('../src/index.js'));

describe('README.md code blocks', () => {
  it('are found, and each one left out says why', () => {
    expect(blocks.length).toBeGreaterThan(20);
    for (const block of blocks.filter((b) => b.notRun)) expect(block.notRun!.length, `README.md:${block.line}`).toBeGreaterThan(10);
  });

  for (const [index, block] of blocks.entries()) {
    const title = `block ${index + 1} at README.md:${block.line}`;
    if (block.notRun) continue;
    it(`${title} runs and computes what its comments show`, () => {
      const { source, probes } = instrument(block, packageNames);
      const script = join(scratch, `block-${index + 1}.mjs`), report = join(scratch, `block-${index + 1}.jsonl`);
      writeFileSync(script, source);
      writeFileSync(report, '');
      execFileSync(process.execPath, [...relaxedSimdFlags, script], {
        cwd: scratch, encoding: 'utf8', stdio: 'pipe', timeout: 120_000, env: { ...process.env, README_PROBES: report },
      });
      const reports = new Map(readFileSync(report, 'utf8').trim().split('\n').filter(Boolean)
        .map((l) => JSON.parse(l) as Report).map((r) => [r.id, r]));
      for (const probe of probes) {
        const got = reports.get(probe.id);
        for (const check of probe.checks) {
          const where = `README.md:${probe.line} «${check.text}»`;
          expect(got, `${where}: the statement never ran`).toBeDefined();
          if (check.error) {
            expect(got!.error, `${where}: did not throw`).toBeDefined();
            expect(got!.error!.name, where).toBe(check.error.name);
            if (check.error.message.endsWith('…')) expect(got!.error!.message.startsWith(check.error.message.slice(0, -1).trimEnd()), where).toBe(true);
            else expect(got!.error!.message, where).toBe(check.error.message);
            continue;
          }
          expect(got!.error, `${where}: threw ${JSON.stringify(got!.error)}`).toBeUndefined();
          const actual = check.name ? got!.named![check.name] : got!.values!;
          const wanted = check.expected!;
          if (check.leading) expect(actual.length, where).toBeGreaterThanOrEqual(wanted.length);
          else expect(actual, `${where}: ${wanted.length} values expected`).toHaveLength(wanted.length);
          wanted.forEach(({ value, tolerance }, i) => {
            if (typeof value === 'boolean') expect(actual[i], `${where} [${i}]`).toBe(value);
            else expect(Math.abs((actual[i] as number) - value), `${where} [${i}]: ${actual[i]} vs ${value}`).toBeLessThanOrEqual(tolerance);
          });
        }
      }
    });
  }
});
