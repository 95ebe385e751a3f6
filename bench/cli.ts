// The suite's command line (bench/main.ts): its options, checked before anything runs, so that a
// mistyped value stops the run with one line instead of timing nothing or everything.
import { parseArgs as nodeParseArgs } from 'node:util';

export interface Args { quick: boolean; help: boolean; filter: RegExp | null; rounds?: number; time?: number }

/** A mistake on the command line: reported as one line, without a stack. */
export class UsageError extends Error {}

export const USAGE = `npm run bench [-- options]   (npm run bench:quick is npm run bench -- --quick)
  --quick           one case per target, a few rounds (under a minute)
  --filter <regex>  only the cases whose id matches (ids are listed below; × and A·B, A·Bᵀ, Aᵀ·B
                    may be written as in the tables)
  --rounds N        interleaved rounds per case (default 7, quick 3)
  --time ms         time per contender per round (default 200, quick 30)
                    (each also as --option=value)
  --help            this text`;

export function parseArgs(given: string[]): Args {
  // --time=ms as well as --time ms, as bench:matmul takes them (node:util parseArgs there).
  const argv = given.flatMap((a) => (/^--\w+=/.test(a) ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  const args: Args = { quick: false, help: false, filter: null };
  const value = (flag: string, i: number): string => {
    const v = argv[i];
    if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const positive = (flag: string, text: string, integer: boolean): number => {
    const v = Number(text);
    if (!(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      throw new UsageError(`${flag} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
    }
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--filter') args.filter = caseFilter(value(a, ++i));
    else if (a === '--rounds') args.rounds = positive(a, value(a, ++i), true);
    else if (a === '--time') args.time = positive(a, value(a, ++i), false);
    else throw new UsageError(`unknown argument ${a}`);
  }
  return args;
}

/** The filter as a regex over case ids, which spell × as x and the products as AB, ABt, AtB. */
export function caseFilter(pattern: string): RegExp {
  const ascii = pattern.replace(/×/g, 'x').replace(/A·Bᵀ/g, 'ABt').replace(/Aᵀ·B/g, 'AtB').replace(/A·B/g, 'AB');
  try {
    return new RegExp(ascii, 'i');
  } catch (error) {
    throw new UsageError(`--filter: ${(error as Error).message}`);
  }
}

/**
 * The options of a tool beside the suite (bench:matmul, bench:linear-ce) by node:util's parseArgs,
 * strictly: an unknown option, or a value missing, stops the tool with its usage instead of
 * starting a run. --help prints the usage. `fail` reports a value the tool itself refuses.
 */
export function toolOptions<const O extends Record<string, { type: 'string' | 'boolean' }>>(
  tool: string, usage: string, options: O,
): { values: { [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean }; fail: (problem: string) => never } {
  const fail = (problem: string): never => {
    console.error(`${tool}: ${problem}\n\n${usage}`);
    process.exit(2);
  };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = nodeParseArgs({ options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return { values: values as { [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean }, fail };
}
