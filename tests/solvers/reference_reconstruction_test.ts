import { assert, assertGreaterOrEqual } from "../assert.ts";
import { ReferenceProblem } from "../../src/physics/mod.ts";
import { cg } from "../../src/solvers/mod.ts";
import { blurredDisk, simulateDataset } from "../../src/simulate/mod.ts";
import { phasePsnr, phaseSsim, projectSlices, scannedArea } from "../../src/metrics/mod.ts";

/**
 * The probe-refinement and multislice acceptance runs at a small size on the float64 reference
 * (frame 32, 100 positions), where they take seconds; `reconstruction_test.ts` runs the GPU ones.
 */

Deno.test("cg() on the reference refines a probe started from a blurred disk to phase SSIM >= 0.9 (frame 32, 100 positions)", async () => {
  const { dataset, truth, model } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 100,
  });
  const frames = await dataset.frames.read(Array.from({ length: 100 }, (_, j) => j));
  const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
  const x = problem.create("x");
  for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
  const counts = frames.reduce((s, v) => s + v, 0) / 100;
  x.probe.set(blurredDisk({ frame: 32, radius: 32 / 6, blur: 2, counts }));
  const { costs } = await cg(problem, x, { iterations: 60, refineProbeFrom: 0 });
  assert(costs.every((c, i) => i === 0 || c <= costs[i - 1]), `costs ${costs}`);
  const mask = scannedArea({ ...model, probe: truth.probe });
  const ssim = phaseSsim({
    reconstruction: x.object,
    truth: truth.object,
    shape: model.objectShape,
    mask,
  });
  assertGreaterOrEqual(ssim, 0.9, "phase SSIM");
});

Deno.test("cg() on the reference: a 4-slice reconstruction of 4-slice data ends at a lower cost and nearer the truth than a 1-slice one", async () => {
  const sim = await simulateDataset({ preset: "siemens", frame: 32, positions: 100, slices: 4 });
  const { dataset, truth, model } = sim;
  const frames = await dataset.frames.read(Array.from({ length: 100 }, (_, j) => j));
  const [h, w] = model.objectShape;
  const mask = scannedArea({ ...model, probe: truth.probe });
  const results: { cost: number; psnr: number; ssim: number }[] = [];
  for (const slices of [4, 1]) {
    const problem = new ReferenceProblem({ ...model, slices, frames, noise: "poisson" });
    const x = problem.create("x");
    for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
    x.probe.set(truth.probe);
    const { costs } = await cg(problem, x, { iterations: 30 });
    const c = {
      reconstruction: projectSlices(x.object, slices, h * w),
      truth: projectSlices(truth.object, 4, h * w),
      shape: model.objectShape,
      mask,
    };
    results.push({ cost: costs[costs.length - 1], psnr: phasePsnr(c), ssim: phaseSsim(c) });
  }
  const [four, one] = results;
  const said = `4 slices ${JSON.stringify(four)}, 1 slice ${JSON.stringify(one)}`;
  assert(four.cost < one.cost, said);
  assert(four.psnr > one.psnr && four.ssim > one.ssim, said);
});
