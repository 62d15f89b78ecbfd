/**
 * Near-field frames padded to a power of two: a near-field frame is an image of the sample plane
 * on the same grid as the object, so frames of any size can sit in the middle of a larger FFT
 * window whose border is masked (it carries no weight in the cost). Far-field frames cannot be
 * padded this way: their pixels are spatial frequencies, and the frame size sets the object pixel.
 */
import type { ComplexArray, FrameSource } from "../data/dataset.ts";

/** The smallest power of two >= `m`. */
export function nextPowerOfTwo(m: number): number {
  return 2 ** Math.ceil(Math.log2(m));
}

/** Where an M x M frame sits in the padded P x P window: offset (P - M) / 2 on both axes. */
function offsetOf(from: number, to: number): number {
  if (!Number.isInteger(from) || !Number.isInteger(to) || to < from || (to - from) % 2 !== 0) {
    throw new RangeError(`Cannot pad frames of ${from} to ${to}: expected an even difference`);
  }
  return (to - from) / 2;
}

/** A {@link FrameSource} of `source`'s M x M frames centred in P x P frames of zeros. */
export class PaddedFrames implements FrameSource {
  readonly #offset: number;

  constructor(readonly source: FrameSource, readonly from: number, readonly to: number) {
    this.#offset = offsetOf(from, to);
  }

  async read(indices: ArrayLike<number>): Promise<Float32Array> {
    const raw = await this.source.read(indices);
    return padPlanes(raw, indices.length, this.from, this.to, 1);
  }

  close(): void {
    this.source.close();
  }
}

/** `count` planes of M x M values (`channels` floats each) centred in P x P planes of zeros. */
export function padPlanes(
  data: Float32Array,
  count: number,
  from: number,
  to: number,
  channels: number,
): Float32Array {
  const offset = offsetOf(from, to);
  const out = new Float32Array(count * to * to * channels);
  for (let f = 0; f < count; f++) {
    for (let y = 0; y < from; y++) {
      const src = ((f * from + y) * from) * channels;
      const dst = ((f * to + y + offset) * to + offset) * channels;
      out.set(data.subarray(src, src + from * channels), dst);
    }
  }
  return out;
}

/** The mask of padded frames: the original one inside, every border pixel bad (1). */
export function padMask(mask: Uint8Array | null, from: number, to: number): Uint8Array {
  const offset = offsetOf(from, to);
  const out = new Uint8Array(to * to).fill(1);
  for (let y = 0; y < from; y++) {
    for (let x = 0; x < from; x++) out[(y + offset) * to + x + offset] = mask?.[y * from + x] ?? 0;
  }
  return out;
}

/** An illumination K x M x M padded with zeros to K x P x P. */
export function padIllumination(probe: ComplexArray, from: number, to: number): ComplexArray {
  const modes = probe.shape.length === 3 ? probe.shape[0] : 1;
  return { shape: [modes, to, to], data: padPlanes(probe.data, modes, from, to, 2) };
}
