import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { type Dataset, MemoryFrames } from "../../src/data/dataset.ts";
import { estimateProbe, initialProbe } from "../../src/engine/probe.ts";
import { fft2Reference, fftshift2 } from "../../src/fft/reference.ts";
import { angularSpectrumKernel } from "../../src/physics/reference.ts";
import { testRandom } from "../kernels/random.ts";

/** A data set of `count` random frames (only what the probe estimate reads). */
function dataset(m: number, count: number, mask: Uint8Array | null): Dataset {
  const frames = Float32Array.from({ length: count * m * m }, () => 1 + 100 * testRandom());
  return {
    frame: m,
    count,
    mask,
    illumination: null,
    geometry: { wavelength: 1e-10, objectPixel: 1e-8 },
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

Deno.test("initialProbe() rescales the file's illumination to the data and adds weaker estimated modes", async () => {
  const m = 8;
  const data = dataset(m, 10, null);
  const given = Float32Array.from({ length: 2 * m * m }, () => testRandom());
  (data as { illumination: unknown }).illumination = { shape: [1, m, m], data: given };
  const { probe, rescale } = await initialProbe(data, 3);
  assertEquals(probe.shape, [3, m, m]);
  const frames = await data.frames.read(Array.from({ length: data.count }, (_, i) => i));
  const meanSum = frames.reduce((a, b) => a + b, 0) / data.count;
  const power = given.reduce((a, b) => a + b * b, 0);
  assertLessOrEqual(Math.abs(rescale / Math.sqrt(meanSum / power) - 1), 1e-12);
  for (let i = 0; i < 2 * m * m; i++) assertEquals(probe.data[i], Math.fround(given[i] * rescale));
  const estimate = await estimateProbe(data);
  for (let i = 0; i < 2 * m * m; i++) {
    assertEquals(probe.data[2 * m * m + i], Math.fround(0.1 * estimate[i]));
  }
  assert(probe.data.every(Number.isFinite));
});

Deno.test("initialProbe() gives the same start from a probe scaled by 1e3 or 1/N (another FFT norm)", async () => {
  const m = 16;
  const data = dataset(m, 20, null);
  const given = Float32Array.from({ length: 2 * m * m }, () => testRandom() - 0.5);
  const start = async (scale: number) => {
    const scaled = given.map((v) => v * scale);
    (data as { illumination: unknown }).illumination = { shape: [1, m, m], data: scaled };
    return await initialProbe(data, 1);
  };
  const reference = await start(1);
  for (const scale of [1e3, 1 / (m * m)]) {
    const { probe, rescale } = await start(scale);
    assertLessOrEqual(relativeL2(probe.data, reference.probe.data), 1e-6, `scale ${scale}`);
    assertLessOrEqual(
      Math.abs(rescale * scale / reference.rescale - 1),
      1e-6,
      `rescale ${rescale}`,
    );
  }
});

Deno.test("estimateProbe() in near field propagates back to the mean frame's amplitude", async () => {
  const m = 16;
  const data = dataset(m, 30, null);
  const near = { wavelength: 1e-10, distance: 4e-6, pixelSize: 1e-8 };
  (data as { geometry: unknown }).geometry = {
    wavelength: near.wavelength,
    objectPixel: near.pixelSize,
    propagation: { kind: "near", distance: near.distance, magnification: 1, focusDistance: null },
  };
  const probe = await estimateProbe(data);
  const frames = await data.frames.read(Array.from({ length: data.count }, (_, i) => i));
  const amplitude = new Float64Array(m * m);
  for (let i = 0; i < frames.length; i++) amplitude[i % (m * m)] += Math.sqrt(frames[i]) / 30;
  // Forward to the detector: no shift, the angular spectrum.
  const re = Float64Array.from({ length: m * m }, (_, i) => probe[2 * i]);
  const im = Float64Array.from({ length: m * m }, (_, i) => probe[2 * i + 1]);
  fft2Reference(re, im, m, 1, false);
  const h = angularSpectrumKernel(m, near);
  for (let i = 0; i < m * m; i++) {
    const [a, b] = [re[i], im[i]];
    re[i] = a * h[2 * i] - b * h[2 * i + 1];
    im[i] = a * h[2 * i + 1] + b * h[2 * i];
  }
  fft2Reference(re, im, m, 1, true);
  const scale = Math.sqrt(
    (frames.reduce((a, b) => a + b, 0) / 30) / amplitude.reduce((a, b) => a + b * b, 0),
  );
  assertLessOrEqual(relativeL2(re, amplitude.map((a) => a * scale)), 1e-5, "real part");
  assertLessOrEqual(Math.max(...im.map(Math.abs)), 1e-5 * scale * Math.max(...amplitude));
});
