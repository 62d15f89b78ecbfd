import { assertLessOrEqual, relativeL2 } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { ReferenceProblem } from "../../src/physics/mod.ts";
import { GpuProblem } from "../../src/problem/mod.ts";
import { epie, rpie } from "../../src/solvers/mod.ts";
import { blurredDisk, simulateDataset } from "../../src/simulate/mod.ts";

for (const [name, solver] of [["epie", epie], ["rpie", rpie]] as const) {
  Deno.test(`${name}() on the GPU problem follows the float64 reference's ${name}() over a sweep with probe refinement`, async () => {
    const { dataset, model } = await simulateDataset({
      preset: "siemens",
      frame: 32,
      positions: 30,
      counts: 1e5,
    });
    const frames = await dataset.frames.read(Array.from({ length: 30 }, (_, j) => j));
    const probe = blurredDisk({ frame: 32, radius: 6, blur: 2, counts: 1e5 });
    const reference = new ReferenceProblem({ ...model, frames, noise: "poisson" });
    const x = reference.create("x");
    for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
    x.probe.set(probe);

    const gpu = await requestGpu({ label: `${name} test` });
    const problem = await GpuProblem.create({
      gpu,
      frames: dataset.frames,
      positionsX: model.positionsX,
      positionsY: model.positionsY,
      frame: 32,
      objectShape: model.objectShape,
    });
    const y = problem.upload(Float32Array.from(x.object), Float32Array.from(probe));
    try {
      const options = { iterations: 1, refineProbeFrom: 0, seed: 5 };
      const expected = await solver(reference, x, options);
      const actual = await solver(problem, y, options);
      const { object, probe: refined } = await problem.download(y);
      // float32 through 30 sequential updates, each seeing the last; rPIE's denominators let dim
      // pixels take up to 1/alpha = 10 times ePIE's step, rounding errors with them.
      assertLessOrEqual(relativeL2(object, x.object), 1e-3, "object");
      assertLessOrEqual(relativeL2(refined, x.probe), 1e-3, "probe");
      // The final costs only: at the start, dark model pixels under measured counts overflow the
      // float32 Poisson term to Infinity (an issue of the cost kernel, not of the sweep).
      assertLessOrEqual(Math.abs(actual.costs[1] / expected.costs[1] - 1), 1e-5, "final cost");
    } finally {
      problem.destroy(y);
      problem.dispose();
      gpu.destroy();
    }
  });
}
