// Argument checks shared by every public function. Each throws before any kernel runs, with a
// message that names the function, the argument, what was expected and what was given.

/** A short description of a value for error messages: "Float64Array(12)", "number 2.5". */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  }
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  // "must be a number, got number NaN" reads as a contradiction.
  if (Number.isNaN(value)) return 'NaN';
  return `${typeof value} ${String(value)}`;
}

export function checkInteger(fn: string, name: string, value: unknown, min: number, max = 2 ** 31 - 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${fn}: ${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${fn}: ${name} must be in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** A finite number in [min, max] (bounds inclusive unless open). */
export function checkNumber(
  fn: string, name: string, value: unknown, min: number, max: number, { openMin = false } = {},
): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  }
  // NaN is a number of no range: a wrong value (RangeError), as the README's rule has it.
  const belowMin = (openMin ? !(value > min) : !(value >= min)) && !roundsToBound(value, min);
  if (belowMin || (value > max && !roundsToBound(value, max))) {
    const range = `${openMin ? '(' : '['}${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be in ${range}, got ${value}`);
  }
  return value;
}

/**
 * For an array the backend found to be a view of its memory from before the memory grew: stale
 * when passed (the Api's check) or detached by the call's own scratch (the backend's).
 */
export function staleViewError(fn: string, name: string): TypeError {
  return new TypeError(`${fn}: ${name} is a view of this instance's wasm memory from before the memory grew (a ` +
    'Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor ' +
    'itself or a copy (Tensor.toArray())');
}

/**
 * How the wasm memory's size-limit errors end. A caller whose allocation is not the user's data
 * (a network's own buffers) replaces it with advice of its own (MLP's namedAllocationError).
 */
export const SPLIT_THE_DATA = "split the data or use the 'js' backend";

/** `expected` names what the argument may be, for arguments that take a Tensor too. */
export function checkFloat32Array(fn: string, name: string, value: unknown, expected = 'a Float32Array'): Float32Array {
  if (!(value instanceof Float32Array)) {
    const hint = Array.isArray(value) || ArrayBuffer.isView(value) ? ` (convert with Float32Array.from(${name}))` : '';
    throw new TypeError(`${fn}: ${name} must be ${expected}, got ${describe(value)}${hint}`);
  }
  return value;
}

/** Checks cols and that `length` is a whole number of non-empty rows; returns rows. */
export function checkRows(fn: string, name: string, length: number, cols: unknown): number {
  checkInteger(fn, 'cols', cols, 1);
  const c = cols as number;
  if (length === 0 || length % c !== 0) {
    throw new RangeError(
      `${fn}: ${name}.length must be a positive multiple of cols = ${c}, got ${length}`,
    );
  }
  return length / c;
}

export function checkLength(fn: string, name: string, length: number, expected: number, what: string): void {
  if (length !== expected) {
    throw new RangeError(`${fn}: ${name}.length must be ${expected} (${what}), got ${length}`);
  }
}

export function checkOneOf<T extends string>(fn: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(`${fn}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

// What checkOptions returns for undefined: one frozen object, so calls without options allocate none.
const NO_OPTIONS: Record<string, unknown> = Object.freeze({});

/**
 * An options object (or an empty, frozen one for undefined). With `known`, a key outside it is a TypeError: a
 * misspelt option would otherwise be ignored and silently give a different result. `name` is what
 * the error calls a nested object (fit's 'options.validation').
 */
export function checkOptions(
  fn: string, options: unknown, known?: readonly string[], name = 'options',
): Record<string, unknown> {
  if (options === undefined) return NO_OPTIONS;
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    throw new TypeError(`${fn}: ${name} must be an object, got ${describe(options)}`);
  }
  if (known) {
    for (const key in options) {
      if (!known.includes(key)) {
        throw new TypeError(`${fn}: unknown option '${name === 'options' ? key : `${name}.${key}`}' (known: ${known.join(', ')})`);
      }
    }
  }
  return options as Record<string, unknown>;
}

/** The largest finite float32: kernels take their scalar options as f32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Whether a value past ±FLOAT32_MAX still rounds to it in float32 (3.4028235e38, float32's
 * maximum as numpy and most tools print it, is just above it as a double): options are used as
 * Math.fround gives them, so such a value is the bound itself.
 */
function roundsToBound(value: number, bound: number): boolean {
  return Math.abs(bound) === FLOAT32_MAX && Math.fround(value) === bound;
}

/**
 * A temperature T > 0 for softmax(z / T). Kernels multiply by 1/T in float32, so 1/T must be a
 * finite float32 too (1/T below 2^128 − 2^103, where rounding to float32 gives ∞, so
 * T > 2.9387359646368754e-39): a smaller T would turn every logit into ±∞ or NaN.
 */
export function checkTemperature(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  }
  if (!(value > 0 && (value <= FLOAT32_MAX || roundsToBound(value, FLOAT32_MAX)) && Number.isFinite(Math.fround(1 / value)))) {
    throw new RangeError(
      `${fn}: ${name} must be in (0, ${FLOAT32_MAX}] with 1/${name} rounding to a finite float32 (${name} > 2.9387359646368754e-39), got ${value}`,
    );
  }
  return value;
}

// ---- aliasing -------------------------------------------------------------------------------

/** How two typed arrays share memory: not at all, exactly (the same bytes), or partly. */
export function overlap(a: ArrayBufferView, b: ArrayBufferView): 'none' | 'same' | 'partial' {
  if (a === b) return 'same';
  if (a.buffer !== b.buffer) return 'none';
  const aEnd = a.byteOffset + a.byteLength, bEnd = b.byteOffset + b.byteLength;
  if (aEnd <= b.byteOffset || bEnd <= a.byteOffset) return 'none';
  return a.byteOffset === b.byteOffset && a.byteLength === b.byteLength ? 'same' : 'partial';
}

/**
 * Refuses an output that shares memory with an input in a way the kernel cannot handle: partial
 * overlap always (rows would be overwritten before they are read); exact aliasing unless
 * `inPlace` says the kernel reads each element before it writes it.
 */
export function checkNoOverlap(
  fn: string, outName: string, out: ArrayBufferView, inName: string, input: ArrayBufferView, inPlace: boolean,
): void {
  const kind = overlap(out, input);
  if (kind === 'none' || (kind === 'same' && inPlace)) return;
  const where = `byte offsets ${out.byteOffset}–${out.byteOffset + out.byteLength} and ${input.byteOffset}–${input.byteOffset + input.byteLength} of one buffer`;
  if (kind === 'partial') {
    throw new RangeError(
      `${fn}: ${outName} partly overlaps ${inName} (${where}); pass ${inPlace ? `${inName} itself to work in place, or ` : ''}an array that does not share memory with it`,
    );
  }
  throw new RangeError(
    `${fn}: ${outName} is the same memory as ${inName}, and this function cannot work in place (it reads ${inName} after writing ${outName}); pass a separate array`,
  );
}

export type ClassIndexArray =
  | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray | readonly number[];

/** number[] or an integer typed array: what class indices may be given as. */
export function isClassIndexArray(value: unknown): value is ClassIndexArray {
  return Array.isArray(value) || value instanceof Int32Array || value instanceof Uint8Array
    || value instanceof Uint16Array || value instanceof Uint32Array || value instanceof Int16Array
    || value instanceof Int8Array || value instanceof Uint8ClampedArray;
}

/**
 * Checks class-index targets (one per row, each in [0, cols) or equal to ignoreIndex) in one pass
 * that also returns the 'mean' normaliser: the number of counted rows, or the sum of their
 * target weights — so the kernel needs no checks and no second pass.
 */
export function checkClassTargets(
  fn: string, targets: unknown, rows: number, cols: number, ignoreIndex: number, ignoreIndexGiven: boolean,
  weight: Float32Array | undefined, expected = 'class indices (number[] or an integer typed array)',
  rowsFrom = 'n',
): number {
  if (!isClassIndexArray(targets)) {
    throw new TypeError(`${fn}: targets must be ${expected}, got ${describe(targets)}`);
  }
  // rowsFrom says where the row count came from: a wrong cols shows up as a wrong targets length.
  checkLength(fn, 'targets', targets.length, rows, `one class index per row: ${rowsFrom}`);
  let normaliser = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (typeof t !== 'number') {
      throw new TypeError(`${fn}: targets[${r}] must be an integer class index, got ${describe(t)}`);
    }
    if (!Number.isInteger(t)) throw new RangeError(`${fn}: targets[${r}] = ${t} is not an integer class index`);
    if (t < 0 || t >= cols) {
      throw new RangeError(`${fn}: targets[${r}] = ${t} is outside [0, ${cols})${ignoreIndexGiven ? ` and is not ignoreIndex = ${ignoreIndex}` : ''}`);
    }
    normaliser += weight ? weight[t] : 1;
  }
  return normaliser;
}
