/**
 * Float64 FFTs on the host: the reference that tests, benchmarks and the CPU simulation of data
 * sets compare the GPU against. Iterative radix-2 (decimation in time, bit-reversed input order),
 * unitary scaling (the `ortho` norm), forward kernel exp(-2 pi i k x / n).
 *
 * @module
 */

interface Tables {
  /** Bit-reversal permutation of 0..n-1. */
  reverse: Uint32Array;
  /** cos(2 pi k / n) and sin(2 pi k / n) for k < n / 2. */
  cos: Float64Array;
  sin: Float64Array;
}

const tables = new Map<number, Tables>();

function tablesFor(n: number): Tables {
  let t = tables.get(n);
  if (t) return t;
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) {
    throw new RangeError(`Cannot build an FFT of length ${n}: expected a power of two`);
  }
  const bits = Math.round(Math.log2(n));
  const reverse = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    reverse[i] = r;
  }
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  t = { reverse, cos, sin };
  tables.set(n, t);
  return t;
}

/**
 * Unitary 1D FFT of `n` complex values stored as `re[offset + i * stride]`,
 * `im[offset + i * stride]`, in place. Scaled by 1 / sqrt(n) in both directions.
 *
 * @example
 * ```ts
 * const re = new Float64Array([1, 0, 0, 0]);
 * const im = new Float64Array(4);
 * fft1dReference(re, im, 4, false); // re = [0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function fft1dReference(
  re: Float64Array,
  im: Float64Array,
  n: number,
  inverse: boolean,
  offset = 0,
  stride = 1,
): void {
  const { reverse, cos, sin } = tablesFor(n);
  for (let i = 0; i < n; i++) {
    const j = reverse[i];
    if (j > i) {
      const a = offset + i * stride;
      const b = offset + j * stride;
      const tr = re[a];
      re[a] = re[b];
      re[b] = tr;
      const ti = im[a];
      im[a] = im[b];
      im[b] = ti;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = offset + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  const scale = 1 / Math.sqrt(n);
  for (let i = 0; i < n; i++) {
    re[offset + i * stride] *= scale;
    im[offset + i * stride] *= scale;
  }
}

/**
 * Unitary 2D FFT, in place, of `batch` row-major `n` x `n` frames stored one after another in
 * `re` and `im`. Both directions are scaled by 1 / n, so sum |F psi|^2 = sum |psi|^2.
 *
 * @example
 * ```ts
 * const n = 4, re = new Float64Array(n * n).fill(1), im = new Float64Array(n * n);
 * fft2Reference(re, im, n, 1, false); // re[0] = 4, every other element 0
 * ```
 */
export function fft2Reference(
  re: Float64Array,
  im: Float64Array,
  n: number,
  batch: number,
  inverse: boolean,
): void {
  checkLength(re, im, n, batch);
  // Columns are copied to a contiguous line first: transforming them in place with stride n
  // thrashes the cache for large n (about 3x slower at n = 256).
  const lineRe = new Float64Array(n);
  const lineIm = new Float64Array(n);
  for (let f = 0; f < batch; f++) {
    const frame = f * n * n;
    for (let y = 0; y < n; y++) fft1dReference(re, im, n, inverse, frame + y * n, 1);
    for (let x = 0; x < n; x++) {
      for (let y = 0; y < n; y++) {
        lineRe[y] = re[frame + y * n + x];
        lineIm[y] = im[frame + y * n + x];
      }
      fft1dReference(lineRe, lineIm, n, inverse);
      for (let y = 0; y < n; y++) {
        re[frame + y * n + x] = lineRe[y];
        im[frame + y * n + x] = lineIm[y];
      }
    }
  }
}

/**
 * Swaps the quadrants of `batch` row-major `n` x `n` frames in place, moving pixel (0, 0) to
 * (n/2, n/2) like numpy's `fftshift`. For even `n` it is its own inverse (`ifftshift`).
 */
export function fftshift2(re: Float64Array, im: Float64Array, n: number, batch: number): void {
  checkLength(re, im, n, batch);
  if (n % 2 !== 0) throw new RangeError(`Cannot fftshift frames of size ${n}: expected even n`);
  const h = n / 2;
  for (let f = 0; f < batch; f++) {
    const frame = f * n * n;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < n; x++) {
        const a = frame + y * n + x;
        const b = frame + (y + h) * n + ((x + h) % n);
        const tr = re[a];
        re[a] = re[b];
        re[b] = tr;
        const ti = im[a];
        im[a] = im[b];
        im[b] = ti;
      }
    }
  }
}

function checkLength(re: Float64Array, im: Float64Array, n: number, batch: number): void {
  const want = n * n * batch;
  if (re.length < want || im.length < want) {
    throw new RangeError(
      `Cannot transform ${batch} frames of ${n} x ${n}: expected ${want} values, ` +
        `got re ${re.length}, im ${im.length}`,
    );
  }
}
