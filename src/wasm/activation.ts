// Typed signatures of assembly/activation.ts's exports, and the int code of each activation
// (the ACTIVATION_* constants there).
import type { Activation } from '../backend.js';

export const activationCodes: Record<Activation, number> = { sigmoid: 0, tanh: 1, relu: 2, linear: 3 };

export interface ActivationKernels {
  activationForward(kind: number, x: number, out: number, n: number): void;
  activationBackward(kind: number, y: number, dy: number, dx: number, n: number): void;
}
