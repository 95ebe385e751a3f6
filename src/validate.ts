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
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${fn}: ${name} must be a number, got ${describe(value)}`);
  }
  const belowMin = openMin ? value <= min : value < min;
  if (belowMin || value > max) {
    const range = `${openMin ? '(' : '['}${min}, ${max}]`;
    throw new RangeError(`${fn}: ${name} must be in ${range}, got ${value}`);
  }
  return value;
}

export function checkFloat32Array(fn: string, name: string, value: unknown): Float32Array {
  if (!(value instanceof Float32Array)) {
    const hint = Array.isArray(value) || ArrayBuffer.isView(value) ? ` (convert with Float32Array.from(${name}))` : '';
    throw new TypeError(`${fn}: ${name} must be a Float32Array, got ${describe(value)}${hint}`);
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

export function checkOptions(fn: string, options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options) || ArrayBuffer.isView(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describe(options)}`);
  }
  return options as Record<string, unknown>;
}

type ClassIndexArray = Int32Array | Uint8Array | Uint16Array | Uint32Array | readonly number[];

function isClassIndexArray(value: unknown): value is ClassIndexArray {
  return Array.isArray(value) || value instanceof Int32Array || value instanceof Uint8Array
    || value instanceof Uint16Array || value instanceof Uint32Array;
}

/**
 * Checks class-index targets (one per row, each in [0, cols) or equal to ignoreIndex) in one pass
 * that also returns the 'mean' normaliser: the number of counted rows, or the sum of their
 * target weights — so the kernel needs no checks and no second pass.
 */
export function checkClassTargets(
  fn: string, targets: unknown, rows: number, cols: number, ignoreIndex: number, ignoreIndexGiven: boolean,
  weight: Float32Array | undefined,
): number {
  if (!isClassIndexArray(targets)) {
    throw new TypeError(`${fn}: targets must be class indices (Int32Array, Uint8Array, Uint16Array, Uint32Array or number[]) or probabilities (Float32Array), got ${describe(targets)}`);
  }
  checkLength(fn, 'targets', targets.length, rows, 'one class index per row');
  let normaliser = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) continue;
    if (!Number.isInteger(t) || t < 0 || t >= cols) {
      throw new RangeError(`${fn}: targets[${r}] = ${t} is outside [0, ${cols})${ignoreIndexGiven ? ` and is not ignoreIndex = ${ignoreIndex}` : ''}`);
    }
    normaliser += weight ? weight[t] : 1;
  }
  return normaliser;
}
