/**
 * The adjoint test every operator passes: for fresh random complex x and y,
 * <A x, y> = <x, A^H y> (real and imaginary parts) to float32 accuracy, and for a unitary
 * operator ||A x|| = ||x||. Outputs are poisoned with NaN before each application.
 */
import { assertLessOrEqual } from "../assert.ts";
import type { Gpu } from "../../src/gpu/mod.ts";
import { nans, randomF32 } from "../kernels/random.ts";

/** An operator under test: complex lengths of its domain and range, and how to apply it. */
export interface AdjointCase {
  label: string;
  domain: number;
  range: number;
  forward(x: GPUBuffer, out: GPUBuffer): void;
  adjoint(y: GPUBuffer, out: GPUBuffer): void;
  /** Also check that the operator keeps the norm. */
  unitary?: boolean;
  /** Restricts x before use, e.g. to the passband of a band-limited operator. */
  prepare?(x: GPUBuffer): void;
}

/** Relative float32 tolerance of the inner products, in units of ||A x|| ||y||. */
export const ADJOINT_TOLERANCE = 2e-6;

/** Runs the adjoint (and norm) test; returns the relative mismatch for reporting. */
export async function checkAdjoint(gpu: Gpu, c: AdjointCase): Promise<number> {
  const x = gpu.upload(randomF32(2 * c.domain), `${c.label} x`);
  c.prepare?.(x);
  const y = gpu.upload(randomF32(2 * c.range), `${c.label} y`);
  const ax = gpu.upload(nans(2 * c.range), `${c.label} Ax`);
  const ahy = gpu.upload(nans(2 * c.domain), `${c.label} AHy`);
  c.forward(x, ax);
  c.adjoint(y, ahy);
  const [hx, hy, hax, hahy] = await Promise.all([x, y, ax, ahy].map((b) => gpu.readF32(b)));
  gpu.release(x, y, ax, ahy);
  const left = cdot(hax, hy);
  const right = cdot(hx, hahy);
  const scale = Math.sqrt(cdot(hax, hax).re * cdot(hy, hy).re);
  const mismatch = Math.hypot(left.re - right.re, left.im - right.im) / scale;
  assertLessOrEqual(
    mismatch,
    ADJOINT_TOLERANCE,
    `${c.label}: <Ax, y> = ${left.re} + ${left.im}i but <x, A^H y> = ${right.re} + ${right.im}i`,
  );
  if (c.unitary) {
    const nx = Math.sqrt(cdot(hx, hx).re);
    const nax = Math.sqrt(cdot(hax, hax).re);
    assertLessOrEqual(Math.abs(nax - nx) / nx, 1e-6, `${c.label}: ||Ax|| = ${nax}, ||x|| = ${nx}`);
  }
  return mismatch;
}

/** sum conj(a) b of interleaved complex arrays, float64. */
export function cdot(a: Float32Array, b: Float32Array): { re: number; im: number } {
  let re = 0, im = 0;
  for (let i = 0; i < a.length; i += 2) {
    re += a[i] * b[i] + a[i + 1] * b[i + 1];
    im += a[i] * b[i + 1] - a[i + 1] * b[i];
  }
  return { re, im };
}
