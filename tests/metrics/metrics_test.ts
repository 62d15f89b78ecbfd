import { assert, assertGreaterOrEqual, assertLessOrEqual } from "../assert.ts";
import { alignPhase, phasePsnr, phaseSsim, scannedArea } from "../../src/metrics/mod.ts";
import { Random, siemensStar } from "../../src/simulate/mod.ts";

const shape: [number, number] = [48, 56];
const truth = siemensStar({ shape, radius: 22, spokes: 8, phase: 1.2, absorption: 0.1 });

function mask(): Uint8Array {
  const m = new Uint8Array(48 * 56);
  for (let y = 6; y < 42; y++) for (let x = 8; x < 50; x++) m[y * 56 + x] = 1;
  return m;
}

/** The truth times exp(i (offset + ramp + noise)), modulus perturbed. */
function perturbed(noise: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array(truth.length);
  for (let i = 0; i < truth.length / 2; i++) {
    const y = Math.floor(i / 56);
    const x = i % 56;
    // A global phase of 3 rad and a ramp steep enough to wrap across the image.
    const extra = 3 + 0.21 * y - 0.17 * x + noise * rng.normal();
    const [c, s] = [Math.cos(extra), Math.sin(extra)];
    const a = 1.3 * truth[2 * i];
    const b = 1.3 * truth[2 * i + 1];
    out[2 * i] = a * c - b * s;
    out[2 * i + 1] = a * s + b * c;
  }
  return out;
}

Deno.test("alignPhase() removes a global phase and a wrapping linear ramp exactly", () => {
  const { reconstruction, truth: t } = alignPhase({
    reconstruction: perturbed(0, 1),
    truth,
    shape,
    mask: mask(),
  });
  for (let i = 0; i < t.length; i++) assertLessOrEqual(Math.abs(reconstruction[i] - t[i]), 1e-9);
  const c = { reconstruction: perturbed(0, 1), truth, shape, mask: mask() };
  assertGreaterOrEqual(phasePsnr(c), 150);
  assertLessOrEqual(Math.abs(phaseSsim(c) - 1), 1e-9);
});

Deno.test("phasePsnr() is 20 log10(range / rms error) and phaseSsim() falls as noise grows", () => {
  const noise = 0.05;
  const c = { reconstruction: perturbed(noise, 2), truth, shape, mask: mask() };
  // The true phase spans 0..1.2 over the mask, so the expected PSNR is 20 log10(1.2 / 0.05).
  const expected = 20 * Math.log10(1.2 / noise);
  assertLessOrEqual(Math.abs(phasePsnr(c) - expected), 0.3);
  const mild = phaseSsim(c);
  const strong = phaseSsim({ ...c, reconstruction: perturbed(0.3, 2) });
  assert(mild < 1 && strong < mild - 0.1, `SSIM ${mild} then ${strong}`);
});

Deno.test("phaseSsim() ignores pixels outside the mask", () => {
  const m = mask();
  const spoiled = perturbed(0, 3);
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) spoiled[2 * i + 1] = -spoiled[2 * i + 1] + 0.7;
  }
  assertLessOrEqual(
    Math.abs(phaseSsim({ reconstruction: spoiled, truth, shape, mask: m }) - 1),
    1e-9,
  );
});

Deno.test("scannedArea() holds the scan's bright centre and drops the windows' dark corners", () => {
  const frame = 16;
  const probe = new Float64Array(2 * frame * frame);
  for (let y = 0; y < frame; y++) {
    for (let x = 0; x < frame; x++) {
      probe[2 * (y * frame + x)] = Math.exp(-((y - 8) ** 2 + (x - 8) ** 2) / 32);
    }
  }
  const m = scannedArea({
    frame,
    objectShape: [40, 40],
    positionsX: new Float64Array([16, 24, 16, 24]),
    positionsY: new Float64Array([16, 16, 24, 24]),
    probe,
  });
  assert(m[20 * 40 + 20] === 1 && m[16 * 40 + 16] === 1);
  assert(m[8 * 40 + 8] === 0 && m[31 * 40 + 31] === 0);
});
