import { assert, assertGreaterOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { GpuProblem, type GpuVariables } from "../../src/problem/mod.ts";
import { cg } from "../../src/solvers/mod.ts";
import { blurredDisk, simulateDataset, type SimulatedDataset } from "../../src/simulate/mod.ts";
import { phasePsnr, phaseSsim, projectSlices, scannedArea } from "../../src/metrics/mod.ts";

/** Acceptance runs of `cg` on the GPU problem against simulated Siemens stars with known truth. */

async function problemFor(sim: SimulatedDataset, slices: number) {
  const gpu = await requestGpu({ label: "reconstruction test" });
  const { model, dataset } = sim;
  const problem = await GpuProblem.create({
    gpu,
    frames: dataset.frames,
    positionsX: model.positionsX,
    positionsY: model.positionsY,
    frame: model.frame,
    objectShape: model.objectShape,
    slices,
    sliceDistance: model.propagation!.sliceThickness,
    wavelength: model.propagation!.wavelength,
    pixelSize: model.propagation!.pixelSize,
  });
  return { gpu, problem };
}

/** Object of ones, and the given probe. */
function start(problem: GpuProblem, probe: Float64Array): GpuVariables {
  const object = new Float32Array(2 * problem.sizes.object);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  return problem.upload(object, Float32Array.from(probe));
}

function nonIncreasing(costs: number[]): boolean {
  return costs.every((c, i) => i === 0 || c <= costs[i - 1]);
}

/**
 * Runs cg for up to `iterations`, checking the metrics every 10 iterations and stopping once both
 * thresholds hold ("reaches within N iterations"). Returns the last metrics and costs.
 */
async function reconstruct(o: {
  sim: SimulatedDataset;
  probe: Float64Array;
  iterations: number;
  refineProbeFrom?: number;
  psnr: number;
  ssim: number;
}) {
  const { problem, gpu } = await problemFor(o.sim, 1);
  const { model, truth } = o.sim;
  const x = start(problem, o.probe);
  const mask = scannedArea({ ...model, probe: truth.probe });
  let metrics = { psnr: -Infinity, ssim: -Infinity };
  const measure = async () => {
    const { object } = await problem.download(x);
    const c = { reconstruction: object, truth: truth.object, shape: model.objectShape, mask };
    metrics = { psnr: phasePsnr(c), ssim: phaseSsim(c) };
    return metrics.psnr >= o.psnr && metrics.ssim >= o.ssim;
  };
  try {
    const { costs } = await cg(problem, x, {
      iterations: o.iterations,
      refineProbeFrom: o.refineProbeFrom,
      onIteration: async (i) => ((i + 1) % 10 === 0 && (await measure()) ? "stop" : undefined),
    });
    await measure();
    return { costs, ...metrics };
  } finally {
    problem.destroy(x);
    problem.dispose();
    gpu.destroy();
  }
}

const siemens = () =>
  simulateDataset({ preset: "siemens", frame: 64, positions: 400, counts: 1e6 });

Deno.test("cg() with a known probe reaches phase PSNR >= 28 dB and SSIM >= 0.93 within 100 iterations (frame 64, 400 Fermat positions, 1e6 photons), the Poisson cost never rising", async () => {
  const sim = await siemens();
  const r = await reconstruct({
    sim,
    probe: sim.truth.probe,
    iterations: 100,
    psnr: 28,
    ssim: 0.93,
  });
  assert(nonIncreasing(r.costs), `costs ${r.costs}`);
  assertGreaterOrEqual(r.psnr, 28, "phase PSNR");
  assertGreaterOrEqual(r.ssim, 0.93, "phase SSIM");
});

Deno.test("cg() with the probe refined (from iteration 10) from a blurred disk reaches phase SSIM >= 0.85 within 100 iterations", async () => {
  const sim = await siemens();
  const all = await sim.dataset.frames.read(Array.from({ length: 400 }, (_, j) => j));
  const counts = all.reduce((s, v) => s + v, 0) / 400;
  const probe = blurredDisk({ frame: 64, radius: 64 / 6, blur: 2, counts });
  const r = await reconstruct({
    sim,
    probe,
    iterations: 100,
    refineProbeFrom: 10,
    psnr: -Infinity,
    ssim: 0.85,
  });
  assert(nonIncreasing(r.costs), `costs ${r.costs}`);
  assertGreaterOrEqual(r.ssim, 0.85, "phase SSIM");
});

Deno.test("a 4-slice reconstruction of 4-slice data ends at a lower cost and nearer the truth than a 1-slice one", async () => {
  const sim = await simulateDataset({ preset: "siemens", frame: 32, positions: 100, slices: 4 });
  const { model, truth } = sim;
  const [h, w] = model.objectShape;
  const mask = scannedArea({ ...model, probe: truth.probe });
  const results: { cost: number; ssim: number; psnr: number }[] = [];
  for (const slices of [4, 1]) {
    const { problem, gpu } = await problemFor(sim, slices);
    const x = start(problem, truth.probe);
    try {
      const { costs } = await cg(problem, x, { iterations: 40 });
      const { object } = await problem.download(x);
      const c = {
        reconstruction: projectSlices(object, slices, h * w),
        truth: projectSlices(truth.object, 4, h * w),
        shape: model.objectShape,
        mask,
      };
      results.push({ cost: costs[costs.length - 1], psnr: phasePsnr(c), ssim: phaseSsim(c) });
    } finally {
      problem.destroy(x);
      problem.dispose();
      gpu.destroy();
    }
  }
  const [four, one] = results;
  assert(four.cost < one.cost, `final costs: 4 slices ${four.cost}, 1 slice ${one.cost}`);
  assert(
    four.ssim > one.ssim && four.psnr > one.psnr,
    `4 slices ${JSON.stringify(four)}, 1 slice ${JSON.stringify(one)}`,
  );
});
