import { assert, assertEquals } from "../assert.ts";
import { loadCheckpoint, saveCheckpoint } from "../../src/engine/checkpoint.ts";
import { SolverSession, type VectorIo } from "../../src/engine/solver_session.ts";
import { ReferenceProblem, type ReferenceVector } from "../../src/physics/reference_problem.ts";
import { simulateDataset } from "../../src/simulate/dataset.ts";

const io: VectorIo<ReferenceVector> = {
  read: (v) => Promise.resolve({ object: v.object.slice(), probe: v.probe.slice() }),
  write: (v, parts) => {
    v.object.set(parts.object);
    v.probe.set(parts.probe);
    return Promise.resolve();
  },
  settle: () => Promise.resolve(),
};

/** A session on the float64 reference problem of a small simulated data set. */
async function session(algorithm: "cg" | "gd"): Promise<SolverSession<ReferenceVector>> {
  const { dataset, model } = await simulateDataset({ preset: "siemens", frame: 16, positions: 12 });
  const frames = await dataset.frames.read(Array.from({ length: dataset.count }, (_, i) => i));
  const problem = new ReferenceProblem({ ...model, frames, noise: "poisson" });
  const x = problem.create("x");
  for (let i = 0; i < x.object.length; i += 2) x.object[i] = 1;
  x.probe.set(dataset.illumination!.data);
  const [h, w] = dataset.objectShape;
  return new SolverSession({
    problem,
    x,
    io,
    algorithm,
    refineProbeFrom: 2,
    objectShape: [1, h, w],
    probeShape: [1, dataset.frame, dataset.frame],
    adapter: { description: "float64 reference", fallback: true },
    deviceBytesPeak: () => [0],
    release: () => {},
  });
}

for (const algorithm of ["cg", "gd"] as const) {
  Deno.test(`${algorithm}: a run resumed from a checkpoint file ends with identical bits`, async () => {
    const straight = await session(algorithm);
    for (let i = 0; i < 5; i++) await straight.step();
    const expected = await straight.result();

    const first = await session(algorithm);
    for (let i = 0; i < 2; i++) await first.step();
    const dir = await Deno.makeTempDir();
    await saveCheckpoint(dir, await first.checkpoint());
    // Later steps of the first session must not leak into the saved state.
    await first.step();
    await first.destroy();

    const resumed = await session(algorithm);
    await resumed.restore(await loadCheckpoint(dir));
    assertEquals(resumed.iteration, 2);
    while (resumed.iteration < 5) await resumed.step();
    const actual = await resumed.result();

    assertEquals(resumed.costs, straight.costs);
    assertEquals(actual.finalCost, expected.finalCost);
    assertEquals(actual.object.data, expected.object.data);
    // The float64 unknowns themselves, not only their float32 result.
    assertEquals(await io.read(resumed.options.x), await io.read(straight.options.x));
    assert(straight.costs[4] < straight.costs[0], "the cost decreases");
    await straight.destroy();
    await resumed.destroy();
    await Deno.remove(dir, { recursive: true });
  });
}
