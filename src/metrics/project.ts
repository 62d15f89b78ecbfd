/**
 * The projection of an S x H x W complex object: the product over its slices, pixel by pixel,
 * as interleaved float64. Reconstructions with a different number of slices than the truth are
 * compared through it.
 *
 * @example
 * ```ts
 * const twoSlices = new Float32Array([0, 1, 0, 1]); // S = 2, one pixel, i * i = -1
 * projectSlices(twoSlices, 2, 1); // Float64Array [-1, 0]
 * ```
 */
export function projectSlices(
  object: ArrayLike<number>,
  slices: number,
  pixels: number,
): Float64Array {
  const out = new Float64Array(2 * pixels);
  for (let i = 0; i < pixels; i++) {
    let [re, im] = [1, 0];
    for (let s = 0; s < slices; s++) {
      const [a, b] = [object[2 * (s * pixels + i)], object[2 * (s * pixels + i) + 1]];
      [re, im] = [re * a - im * b, re * b + im * a];
    }
    out[2 * i] = re;
    out[2 * i + 1] = im;
  }
  return out;
}
