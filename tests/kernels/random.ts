/**
 * Random test data shared by the kernel, operator, cost and problem tests, all drawn from one
 * seeded stream so that a failure can be replayed: run the same test files with the same
 * `TESSERA_TEST_SEED` (the default is fixed; set another seed to try other inputs).
 */
import { random } from "../tiling/scans.ts";

const SEED = Number(Deno.env.get("TESSERA_TEST_SEED") ?? 20261204);

/** The suite's seeded stream of uniform values in [0, 1) (mulberry32). */
export const testRandom: () => number = random(SEED);

/** `n` uniform values in [-1, 1) as float32. */
export function randomF32(n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (testRandom() * 2 - 1) * scale;
  return out;
}

/** `n` float32 NaNs: poison for outputs, so an element a kernel forgot to write fails. */
export function nans(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** Largest |a - b| relative to the largest |b|. */
export function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
