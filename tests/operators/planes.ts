/** Float64 plane helpers for comparing operators with their references. */

/** Interleaved float32 frames as float64 planes, transformed in place by `fn`, interleaved back. */
export function viaPlanes(data: Float32Array, fn: (re: Float64Array, im: Float64Array) => void) {
  const re = Float64Array.from({ length: data.length / 2 }, (_, i) => data[2 * i]);
  const im = Float64Array.from({ length: data.length / 2 }, (_, i) => data[2 * i + 1]);
  fn(re, im);
  const out = new Float64Array(data.length);
  for (let i = 0; i < re.length; i++) [out[2 * i], out[2 * i + 1]] = [re[i], im[i]];
  return out;
}

/** re, im <- (re, im) times the frame kernel k (interleaved, one frame), or its conjugate. */
export function multiplyFrames(re: Float64Array, im: Float64Array, k: Float64Array, conj = false) {
  const s = conj ? -1 : 1;
  for (let i = 0; i < re.length; i++) {
    const j = 2 * (i % (k.length / 2));
    const [a, b, c, d] = [re[i], im[i], k[j], s * k[j + 1]];
    re[i] = a * c - b * d;
    im[i] = a * d + b * c;
  }
}
