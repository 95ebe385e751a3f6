// The key of `using` declarations' cleanup, shared by Tensor and MLP.
//
// The lib reference is kept in the emitted .d.ts (preserve="true") so a TypeScript user whose
// `lib` stops before ESNext.Disposable (e.g. "ES2022", with skipLibCheck off) still compiles
// against our declarations, which name `typeof Symbol.dispose`.
/// <reference lib="esnext.disposable" preserve="true" />

/** `Symbol.dispose`; on older runtimes that lack it, `Symbol.for` keeps one key per realm. */
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('Symbol.dispose') as typeof Symbol.dispose);
