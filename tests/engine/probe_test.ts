import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { type Dataset, MemoryFrames } from "../../src/data/dataset.ts";
import { estimateProbe, initialProbe } from "../../src/engine/probe.ts";
import { fft2Reference, fftshift2 } from "../../src/fft/reference.ts";

/** A data set of `count` random frames (only what the probe estimate reads). */
function dataset(m: number, count: number, mask: Uint8Array | null): Dataset {
  const frames = Float32Array.from({ length: count * m * m }, () => 1 + 100 * Math.random());
  return {
    frame: m,
    count,
    mask,
    illumination: null,
    frames: new MemoryFrames(frames, m),
  } as unknown as Dataset;
}

Deno.test("estimateProbe() has the mean amplitude as far field and the mean counts as power", async () => {
  const m = 16;
  const mask = new Uint8Array(m * m);
  mask[3] = mask[77] = 1;
  const data = dataset(m, 300, mask);
  const probe = await estimateProbe(data);

  const frames = await data.frames.read(Array.from({ length: data.count }, (_, i) => i));
  const amplitude = new Float64Array(m * m);
  let total = 0;
  for (let i = 0; i < frames.length; i++) {
    if (mask[i % (m * m)]) continue;
    amplitude[i % (m * m)] += Math.sqrt(frames[i]) / data.count;
    total += frames[i] / data.count;
  }
  // Forward far field of the probe with the detector's centring.
  const re = Float64Array.from({ length: m * m }, (_, i) => probe[2 * i]);
  const im = Float64Array.from({ length: m * m }, (_, i) => probe[2 * i + 1]);
  fftshift2(re, im, m, 1);
  fft2Reference(re, im, m, 1, false);
  fftshift2(re, im, m, 1);
  const modulus = re.map((r, i) => Math.hypot(r, im[i]));
  const power = modulus.reduce((a, b) => a + b * b, 0);
  assertLessOrEqual(Math.abs(power - total) / total, 1e-5);
  const scale = Math.sqrt(total / amplitude.reduce((a, b) => a + b * b, 0));
  assertLessOrEqual(relativeL2(modulus, amplitude.map((a) => a * scale)), 1e-5);
  // Masked pixels carry no amplitude (float32 rounding of the probe aside).
  assertLessOrEqual(modulus[3], 1e-5 * Math.max(...modulus));
});

Deno.test("initialProbe() keeps the file's illumination and adds weaker estimated modes", async () => {
  const m = 8;
  const data = dataset(m, 10, null);
  const given = Float32Array.from({ length: 2 * m * m }, () => Math.random());
  (data as { illumination: unknown }).illumination = { shape: [1, m, m], data: given };
  const probe = await initialProbe(data, 3);
  assertEquals(probe.shape, [3, m, m]);
  assertEquals(probe.data.subarray(0, 2 * m * m), given);
  const estimate = await estimateProbe(data);
  for (let i = 0; i < 2 * m * m; i++) {
    assertEquals(probe.data[2 * m * m + i], Math.fround(0.1 * estimate[i]));
  }
  assert(probe.data.every(Number.isFinite));
});
