/**
 * FFT planning, kept apart from the code of a pass: how each axis splits into passes, which
 * kernel each pass runs, the twiddle table (float64 on the host, rounded once to float32) and the
 * uniform parameters of every dispatch.
 *
 * @module
 */
import { UNROLLED_WORKGROUP } from "./_codegen.ts";

/** How the line FFTs are computed; see {@link Fft2.create}. */
export type FftDesign = "unrolled" | "workgroup";

/** Largest line the unrolled design computes in one pass: bigger ones compile too slowly. */
const MAX_UNROLLED_RADIX = 256;
/**
 * Radix of the second, twiddled pass when a line needs two unrolled passes. Measured on llvmpipe
 * at 1024: 64 x 16 took about 0.8 the time of 32 x 32 (fewer, larger first-pass DFTs), and the
 * small twiddled kernel is shared by every split size.
 */
const SECOND_RADIX = 16;
/** Lines of the workgroup design live in 1024 complex values of workgroup memory. */
export const WORKGROUP_CAPACITY = 1024;
/** Largest n either design plans. */
export const MAX_N = 2048;

/** One dispatch along one axis. */
export interface PassPlan {
  /** Points of the DFT each invocation computes (unrolled) or the whole line (workgroup). */
  radix: number;
  /** Whether inputs are multiplied by inter-pass twiddles (every unrolled pass but the first). */
  twiddled: boolean;
  /** Stockham span: the product of the radices of the earlier passes of this axis. */
  ls: number;
}

/** Passes of one axis of length `n` (the same for rows and columns). */
export function planAxis(n: number, design: FftDesign): PassPlan[] {
  if (design === "workgroup" || n <= MAX_UNROLLED_RADIX) {
    return [{ radix: n, twiddled: false, ls: 1 }];
  }
  const first = n / SECOND_RADIX;
  return [
    { radix: first, twiddled: false, ls: 1 },
    { radix: SECOND_RADIX, twiddled: true, ls: first },
  ];
}

/** exp(-2 pi i t / n) for t < n as interleaved float32, computed in float64. */
export function twiddleTable(n: number): Float32Array {
  const table = new Float32Array(2 * n);
  for (let t = 0; t < n; t++) {
    const angle = (-2 * Math.PI * t) / n;
    table[2 * t] = Math.cos(angle);
    table[2 * t + 1] = Math.sin(angle);
  }
  return table;
}

/** What one dispatch does, in the terms of the `Params` struct of `wgsl/fft_workgroup.wgsl`. */
export interface PassSetup {
  design: FftDesign;
  n: number;
  batch: number;
  pass: PassPlan;
  /** true: transform along x (rows); false: along y (columns). */
  rows: boolean;
  /** Offsets of the first frame in src and dst, in complex values (not bytes). */
  srcOffset: number;
  dstOffset: number;
  /** XOR mask applied to indices on load (n / 2 for ifftshift) and on store (fftshift). */
  loadMask: number;
  storeMask: number;
  /** Conjugate on load (first pass of an inverse transform). */
  conjugateIn: boolean;
  /** Multiplier of the real part on store and of the imaginary part (negative conjugates). */
  outRe: number;
  outIm: number;
}

/** Packs the uniform parameters of one pass and returns them with its workgroup count. */
export function passParams(s: PassSetup): { params: Uint32Array; workgroups: number } {
  const { n, batch, pass } = s;
  const words = new Uint32Array(16);
  const floats = new Float32Array(words.buffer);
  let count: number;
  let fast: number;
  let mid: number;
  let workgroups: number;
  if (s.design === "workgroup") {
    fast = Math.min(n, WORKGROUP_CAPACITY / n);
    mid = 1;
    count = (batch * n) / fast;
    workgroups = count;
  } else {
    const butterflies = n / pass.radix;
    // Adjacent invocations take adjacent lines: for columns that makes their accesses adjacent;
    // for rows split into passes it measured 5-20% faster on llvmpipe than adjacent butterflies
    // of one row, whose values lie only 128-512 bytes apart.
    fast = n;
    mid = butterflies;
    count = batch * n * butterflies;
    workgroups = Math.ceil(count / UNROLLED_WORKGROUP);
  }
  words.set([
    count,
    fast,
    mid,
    s.rows ? 1 : 0,
    n,
    pass.ls,
    s.rows ? n : 1,
    s.rows ? 1 : n,
    s.srcOffset,
    s.dstOffset,
    s.loadMask,
    s.storeMask,
  ]);
  floats[12] = s.conjugateIn ? -1 : 1;
  floats[13] = s.outRe;
  floats[14] = s.outIm;
  words[15] = n * n;
  return { params: words, workgroups };
}
