/**
 * LSQ-ML's per-pixel step terms (`wgsl/lsqml_terms.wgsl`) against float64 on random buffers and a
 * random scan: every element's (aa, ag, v) and the windows' power, outputs poisoned beforehand,
 * with the probe refined and without (v = 0, the weight left alone).
 */
import { windowOrigin } from "../../src/operators/mod.ts";
import { LsqmlStepTerms } from "../../src/problem/mod.ts";
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";
import { randomScan, withBench } from "../operators/setup.ts";

const FRAME = 16;
const SHAPE: [number, number] = [75, 93];
const MODES = 2;
const COUNT = 5;

/** The terms (4 per element) and the weight (complex, M x M) in float64. */
function termsReference(
  scan: ReturnType<typeof randomScan>,
  o: { object: Float32Array; direction: Float32Array; waves: Float32Array; chi: Float32Array },
): { terms: Float64Array; weight: Float64Array } {
  const w = SHAPE[1];
  const m2 = FRAME * FRAME;
  const terms = new Float64Array(4 * MODES * m2);
  const weight = new Float64Array(2 * m2);
  for (let j = 0; j < scan.count; j++) {
    const y0 = windowOrigin(scan.positionsY[j], FRAME);
    const x0 = windowOrigin(scan.positionsX[j], FRAME);
    for (let q = 0; q < m2; q++) {
      const at = (y0 + Math.floor(q / FRAME)) * w + x0 + (q % FRAME);
      const [or, oi] = [o.object[2 * at], o.object[2 * at + 1]];
      const [dr, di] = [o.direction[2 * at], o.direction[2 * at + 1]];
      weight[2 * q] += or * or + oi * oi;
      for (let k = 0; k < MODES; k++) {
        const i = 2 * ((j * MODES + k) * m2 + q);
        const [wr, wi] = [o.waves[i], o.waves[i + 1]];
        const [ar, ai] = [dr * wr - di * wi, dr * wi + di * wr];
        const e = 4 * (k * m2 + q);
        terms[e] += ar * ar + ai * ai;
        terms[e + 1] += ar * o.chi[i] + ai * o.chi[i + 1];
        terms[e + 2] += ar * or + ai * oi;
        terms[e + 3] += ar * oi - ai * or;
      }
    }
  }
  return { terms, weight };
}

Deno.test("LsqmlStepTerms forms every element's terms and the windows' power as float64 does, with and without the probe's", async () => {
  await withBench(FRAME, async ({ gpu }) => {
    const scan = randomScan(gpu, COUNT, FRAME, SHAPE);
    const n = SHAPE[0] * SHAPE[1];
    const waves = COUNT * MODES * FRAME * FRAME;
    const inputs = {
      object: randomF32(2 * n),
      direction: randomF32(2 * n),
      waves: randomF32(2 * waves),
      chi: randomF32(2 * waves),
    };
    const buffers = {
      object: gpu.upload(inputs.object, "O"),
      direction: gpu.upload(inputs.direction, "dO"),
      waves: gpu.upload(inputs.waves, "waves"),
      chi: gpu.upload(inputs.chi, "chi"),
    };
    const want = termsReference(scan, inputs);
    const terms = await LsqmlStepTerms.create(gpu, scan, MODES);
    const weight = gpu.buffer(8 * FRAME * FRAME, "W");
    for (const probe of [true, false]) {
      gpu.write(terms.terms, nans(4 * MODES * FRAME * FRAME));
      const poison = nans(2 * FRAME * FRAME);
      gpu.write(weight, poison);
      terms.record(scan.batches[0], { ...buffers, weight: probe ? weight : null });
      const got = await gpu.readF32(terms.terms);
      const expected = probe ? want.terms : want.terms.map((v, i) => i % 4 >= 2 ? 0 : v);
      assertLessOrEqual(maxRelative(got, expected), 1e-5, `terms, probe ${probe}`);
      const power = await gpu.readF32(weight);
      if (probe) assertLessOrEqual(maxRelative(power, want.weight), 1e-5, "weight");
      else assertEquals(Array.from(power).every(Number.isNaN), true, "weight left alone");
    }
    terms.destroy();
  });
});
