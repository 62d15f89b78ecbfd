import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { type Dataset, MemoryFrames } from "../../src/data/dataset.ts";
import {
  ADDED_MODE_POWER,
  addedModes,
  estimateProbe,
  initialProbe,
} from "../../src/engine/probe.ts";
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

/** <a, b> of modes i and j of a K x M x M probe (complex, float64). */
function inner(data: Float32Array, n: number, i: number, j: number): { re: number; im: number } {
  let re = 0, im = 0;
  for (let q = 0; q < n; q++) {
    const [a, b] = [data[2 * (i * n + q)], data[2 * (i * n + q) + 1]];
    const [c, d] = [data[2 * (j * n + q)], data[2 * (j * n + q) + 1]];
    re += a * c + b * d;
    im += a * d - b * c;
  }
  return { re, im };
}

Deno.test("initialProbe() rescales the file's illumination to the data and adds orthogonal modes of 5 % power each", async () => {
  const m = 16;
  const n = m * m;
  const data = dataset(m, 10, null);
  const given = Float32Array.from({ length: 2 * n }, () => testRandom() - 0.5);
  (data as { illumination: unknown }).illumination = { shape: [1, m, m], data: given };
  const { probe, rescale } = await initialProbe(data, 4);
  assertEquals(probe.shape, [4, m, m]);
  const frames = await data.frames.read(Array.from({ length: data.count }, (_, i) => i));
  const meanSum = frames.reduce((a, b) => a + b, 0) / data.count;
  const power = given.reduce((a, b) => a + b * b, 0);
  assertLessOrEqual(Math.abs(rescale / Math.sqrt(meanSum / power) - 1), 1e-12);
  // Mode 0 is the rescaled illumination, giving up what the three added modes hold.
  const keep = Math.sqrt(1 - 3 * ADDED_MODE_POWER);
  const first = given.map((v) => v * rescale * keep);
  assertLessOrEqual(relativeL2(probe.data.subarray(0, 2 * n), first), 1e-6);
  let total = 0;
  for (let k = 0; k < 4; k++) total += inner(probe.data, n, k, k).re;
  assertLessOrEqual(Math.abs(total / meanSum - 1), 1e-5, "the total power matches the data");
  for (let k = 1; k < 4; k++) {
    assertLessOrEqual(Math.abs(inner(probe.data, n, k, k).re / total - ADDED_MODE_POWER), 1e-5);
    for (let j = 0; j < k; j++) {
      const { re, im } = inner(probe.data, n, j, k);
      assertLessOrEqual(Math.hypot(re, im) / total, 1e-6, `modes ${j} and ${k} are orthogonal`);
    }
  }
  assert(probe.data.every(Number.isFinite));
});

Deno.test("addedModes() starts mode 1 of a centred Gaussian probe as the probe times x, mode 2 times y", () => {
  const m = 32;
  const n = m * m;
  const probe = new Float32Array(3 * 2 * n);
  const [cy, cx, phase] = [15.3, 16.6, 0.4 + testRandom()];
  for (let q = 0; q < n; q++) {
    const [y, x] = [Math.floor(q / m) - cy, (q % m) - cx];
    const a = Math.exp(-(x * x + y * y) / 40);
    [probe[2 * q], probe[2 * q + 1]] = [a * Math.cos(phase), a * Math.sin(phase)];
  }
  addedModes(probe, 1, 3, m);
  // An odd polynomial times an even probe is orthogonal to it already: nothing is projected out.
  for (const [k, along] of [[1, (_y: number, x: number) => x], [2, (y: number) => y]] as const) {
    const expected = new Float64Array(2 * n);
    for (let q = 0; q < n; q++) {
      const t = along(Math.floor(q / m) - cy, (q % m) - cx);
      [expected[2 * q], expected[2 * q + 1]] = [probe[2 * q] * t, probe[2 * q + 1] * t];
    }
    const mode = probe.subarray(2 * k * n, 2 * (k + 1) * n);
    const scale = inner(probe, n, k, k).re / (expected.reduce((a, v) => a + v * v, 0) || 1);
    assertLessOrEqual(
      relativeL2(mode, expected.map((v) => v * Math.sqrt(scale))),
      1e-4,
      `mode ${k}`,
    );
  }
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
