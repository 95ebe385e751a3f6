// Types for the parts of the `mnist` package (plain CommonJS, no bundled types) the examples use.
declare module 'mnist' {
  interface Digit {
    /** The digit, 0–9. */
    id: number;
    /** Number of samples of this digit. */
    length: number;
    /** length × 784 grey levels in [0, 1], row-major 28 × 28 images one after another. */
    raw: number[];
  }
  const digits: Digit[];
  export = digits;
}
