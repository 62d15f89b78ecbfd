import { assert, assertGreaterOrEqual } from "../assert.ts";
import { ReferenceProblem } from "../../src/physics/mod.ts";
import { epie, rpie } from "../../src/solvers/mod.ts";
import { blurredDisk, simulateDataset } from "../../src/simulate/mod.ts";
import { phasePsnr, scannedArea } from "../../src/metrics/mod.ts";

async function setup(slices: number, knownProbe: boolean) {
  const { dataset, truth, model } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 60,
    counts: 1e5,
    slices,
  });
  const frames = await dataset.frames.read(Array.from({ length: dataset.count }, (_, i) => i));
  const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
  const x = problem.create("x");
  for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
  x.probe.set(
    knownProbe ? truth.probe : blurredDisk({ frame: 32, radius: 16 / 3, blur: 2, counts: 1e5 }),
  );
  const mask = scannedArea({ ...model, probe: truth.probe });
  const [h, w] = model.objectShape;
  const psnr = () =>
    phasePsnr({
      reconstruction: x.object.subarray(0, 2 * h * w),
      truth: truth.object.subarray(0, 2 * h * w),
      shape: model.objectShape,
      mask,
    });
  return { problem, x, psnr };
}

for (const [name, solver] of [["epie", epie], ["rpie", rpie]] as const) {
  Deno.test(`${name}() recovers a small phase object with a known probe`, async () => {
    const { problem, x, psnr } = await setup(1, true);
    const { costs } = await solver(problem, x, { iterations: 10 });
    assert(costs[10] < costs[0], `costs ${costs}`);
    assertGreaterOrEqual(psnr(), 22);
  });

  Deno.test(`${name}() refines the probe and a 2-slice object, lowering the cost`, async () => {
    const { problem, x } = await setup(2, false);
    const start = x.probe.slice();
    const { costs } = await solver(problem, x, { iterations: 6, refineProbeFrom: 2 });
    assert(costs[6] < costs[0], `costs ${costs}`);
    assert(x.probe.some((v, i) => v !== start[i]), "the probe changed");
  });
}
