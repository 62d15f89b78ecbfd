import { assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { Fft2 } from "../../src/fft/mod.ts";
import { KEPT_READBACK } from "../../src/gpu/mod.ts";
import { MemoryFrames } from "../../src/data/mod.ts";
import { BatchWorkspace } from "../../src/operators/mod.ts";
import { GpuProblem, localReduction } from "../../src/problem/mod.ts";
import { ReferenceProblem } from "../../src/physics/reference_problem.ts";
import { maxRelative, nans, randomF32 } from "../kernels/random.ts";
import { type CaseOptions, SHAPE, withCase } from "./fixture.ts";

const toF64 = (a: Float32Array) => new Float64Array(a);

for (
  const c of [
    { slices: 1, modes: 1, noise: "poisson", mask: true },
    { slices: 2, modes: 2, noise: "gaussian", mask: true },
    { slices: 3, modes: 1, noise: "poisson" },
    { slices: 1, modes: 2, noise: "poisson", mask: true, nearField: true },
    { slices: 2, modes: 1, noise: "gaussian", nearField: true },
  ] as CaseOptions[]
) {
  const name = `S=${c.slices} K=${c.modes} ${c.noise}${c.mask ? " with a mask" : ""}` +
    (c.nearField ? ", near field" : "");
  Deno.test(`GpuProblem cost and gradients equal the float64 reference model (${name})`, async () => {
    await withCase(c, async ({ problem, model, frames, object, probe, x }) => {
      const objectGradient = new Float64Array(object.length);
      const probeGradient = new Float64Array(probe.length);
      const want = model.evaluate({
        object,
        probe,
        frames,
        noise: c.noise,
        objectGradient,
        probeGradient,
      });
      problem.setActive({ object: true, probe: true });
      const g = problem.create("g");
      const got = await problem.gradient(x, g);
      const host = await problem.download(g);
      assertLessOrEqual(Math.abs(got - want) / Math.abs(want), 1e-5);
      assertLessOrEqual(relativeL2(toF64(host.object), objectGradient), 1e-4);
      assertLessOrEqual(relativeL2(toF64(host.probe), probeGradient), 1e-4);
      assertEquals(await problem.cost(x), got);
      // The R-factor comes from the same pass as the cost.
      const r = model.rFactor(object, probe, frames);
      assertLessOrEqual(Math.abs(problem.rFactor - r) / r, 1e-5, `R ${problem.rFactor} vs ${r}`);
    });
  });
}

Deno.test("GpuProblem gradient and cost give identical bits on repeated runs", async () => {
  await withCase(
    { slices: 2, modes: 2, noise: "poisson", positions: 9 },
    async ({ problem, x }) => {
      problem.setActive({ object: true, probe: true });
      const g = problem.create("g");
      const first = await problem.gradient(x, g);
      const want = await problem.download(g);
      for (let run = 0; run < 3; run++) {
        assertEquals(await problem.gradient(x, g), first);
        const got = await problem.download(g);
        assertEquals(Array.from(got.object), Array.from(want.object));
        assertEquals(Array.from(got.probe), Array.from(want.probe));
      }
    },
  );
});

Deno.test("GpuProblem gives the same cost and gradient for any batch size", async () => {
  await withCase({ slices: 1, modes: 2, noise: "gaussian", batchSize: 7 }, async (t) => {
    const { problem, x, options } = t;
    const single = await GpuProblem.create({ ...options, batchSize: 1 });
    const xSingle = single.upload(
      ...(Object.values(await problem.download(x)) as [Float32Array, Float32Array]),
    );
    for (const p of [problem, single]) p.setActive({ object: true, probe: true });
    const [g1, g2] = [problem.create("g1"), single.create("g2")];
    const [c1, c2] = [await problem.gradient(x, g1), await single.gradient(xSingle, g2)];
    assertLessOrEqual(Math.abs(c1 - c2) / c1, 1e-6);
    const [h1, h2] = [await problem.download(g1), await single.download(g2)];
    assertLessOrEqual(relativeL2(toF64(h1.object), toF64(h2.object)), 1e-6);
    assertLessOrEqual(relativeL2(toF64(h1.probe), toF64(h2.probe)), 1e-6);
  });
});

Deno.test("GpuProblem axpy, scale, copy and dot act on the active parts only", async () => {
  await withCase({ slices: 2, modes: 2, noise: "poisson" }, async ({ problem }) => {
    const { object: no, probe: np } = problem.sizes;
    const a = { object: randomF32(2 * no), probe: randomF32(2 * np) };
    const b = { object: randomF32(2 * no), probe: randomF32(2 * np) };
    const va = problem.upload(a.object, a.probe, "a");
    const vb = problem.upload(b.object, b.probe, "b");
    const dot = (u: Float32Array, v: Float32Array) => u.reduce((s, x, i) => s + x * v[i], 0);
    problem.setActive({ object: true, probe: false });
    assertLessOrEqual(Math.abs((await problem.dot(va, vb)) - dot(a.object, b.object)), 1e-3);
    problem.setActive({ object: true, probe: true });
    const both = dot(a.object, b.object) + dot(a.probe, b.probe);
    assertLessOrEqual(Math.abs((await problem.dot(va, vb)) - both), 1e-3);
    problem.setActive({ object: false, probe: true });
    const out = problem.upload(new Float32Array(2 * no).fill(7), new Float32Array(2 * np), "out");
    problem.axpy(out, va, -0.5, vb);
    let host = await problem.download(out);
    assertEquals(host.object.every((v) => v === 7), true);
    const want = Array.from(a.probe, (v, i) => v - 0.5 * b.probe[i]);
    assertLessOrEqual(maxRelative(host.probe, want), 1e-6);
    problem.scale(out, 2, va);
    problem.copy(vb, va);
    host = await problem.download(out);
    assertLessOrEqual(maxRelative(host.probe, Array.from(a.probe, (v) => 2 * v)), 1e-7);
    assertEquals(Array.from((await problem.download(va)).object), Array.from(a.object));
  });
});

Deno.test("GpuProblem dot counts only the owned region and the probe when told to", async () => {
  await withCase({ slices: 2, modes: 1, noise: "poisson" }, async ({ options, problem }) => {
    const ownedRegion = { y0: 5, x0: 7, height: 20, width: 30 };
    const tiled = await GpuProblem.create({
      ...options,
      countProbe: false,
      reduction: { ...localReduction(SHAPE), ownedRegion },
    });
    const { object: no, probe: np } = problem.sizes;
    const a = { object: randomF32(2 * no), probe: randomF32(2 * np) };
    const b = { object: randomF32(2 * no), probe: randomF32(2 * np) };
    tiled.setActive({ object: true, probe: true });
    let want = 0;
    for (let s = 0; s < 2; s++) {
      for (let y = ownedRegion.y0; y < ownedRegion.y0 + ownedRegion.height; y++) {
        for (let x = ownedRegion.x0; x < ownedRegion.x0 + ownedRegion.width; x++) {
          const i = 2 * ((s * SHAPE[0] + y) * SHAPE[1] + x);
          want += a.object[i] * b.object[i] + a.object[i + 1] * b.object[i + 1];
        }
      }
    }
    const got = await tiled.dot(tiled.upload(a.object, a.probe), tiled.upload(b.object, b.probe));
    assertLessOrEqual(Math.abs(got - want), 1e-3);
  });
});

for (const slices of [1, 2]) {
  Deno.test(`GpuProblem precondition matches the float64 reference problem's for ${slices === 1 ? "one slice" : "two slices"}`, async () => {
    await withCase({ slices, modes: 2, noise: "poisson" }, async (t) => {
      const { problem, x, object, probe, frames, model } = t;
      const reference = new ReferenceProblem({ ...model.options, frames, noise: "poisson" });
      const { object: no, probe: np } = problem.sizes;
      const g = { object: randomF32(2 * no), probe: randomF32(2 * np) };
      for (const p of [problem, reference]) p.setActive({ object: true, probe: true });
      const out = problem.create("out");
      await problem.precondition(x, problem.upload(g.object, g.probe, "g"), out);
      const want = reference.create("want");
      await reference.precondition({ object, probe }, {
        object: toF64(g.object),
        probe: toF64(g.probe),
      }, want);
      const got = await problem.download(out);
      assertLessOrEqual(relativeL2(toF64(got.object), want.object), 1e-5);
      assertLessOrEqual(relativeL2(toF64(got.probe), want.probe), 1e-5);
    });
  });
}

Deno.test("GpuProblems sharing an FFT plan agree, and disposing one keeps the plan", async () => {
  await withCase(
    { slices: 1, modes: 1, noise: "poisson" },
    async ({ gpu, options, problem, x }) => {
      const fft = await Fft2.create(gpu, options.frame);
      const first = await GpuProblem.create({ ...options, fft });
      const second = await GpuProblem.create({ ...options, fft });
      const host = await problem.download(x);
      const want = await problem.cost(x);
      first.dispose();
      const got = await second.cost(second.upload(host.object, host.probe));
      assertLessOrEqual(Math.abs(got - want) / Math.abs(want), 1e-6);
      second.dispose();
      fft.destroy();
    },
  );
});

Deno.test("GpuProblems sharing a batch workspace, evaluated at once, give the bits each gives alone", async () => {
  await withCase(
    { slices: 2, modes: 2, noise: "poisson", positions: 9, batchSize: 4 },
    async ({ gpu, options, problem, x }) => {
      const host = await problem.download(x);
      // A second problem over other unknowns, with smaller batches than the workspace holds.
      const other = {
        object: host.object.map((v, i) => v * (1 + 0.05 * Math.sin(i))),
        probe: host.probe.map((v, i) => v * (1 + 0.05 * Math.cos(i))),
      };
      const setups = [{ batchSize: 4, x: host }, { batchSize: 3, x: other }];
      const evaluate = async (p: GpuProblem, v: { object: Float32Array; probe: Float32Array }) => {
        p.setActive({ object: true, probe: true });
        const xv = p.upload(v.object, v.probe);
        const g = p.create("g");
        const cost = await p.gradient(xv, g);
        await p.precondition(xv, g, g);
        return { cost, ...await p.download(g) };
      };
      const alone = [];
      for (const s of setups) {
        const p = await GpuProblem.create({ ...options, batchSize: s.batchSize });
        alone.push(await evaluate(p, s.x));
        p.dispose();
      }
      const fft = await Fft2.create(gpu, options.frame);
      const workspace = new BatchWorkspace(gpu, {
        frame: options.frame,
        maxBatch: 4,
        modes: 2,
        slices: 2,
      });
      const shared = await Promise.all(
        setups.map((s) =>
          GpuProblem.create({ ...options, batchSize: s.batchSize, fft, workspace })
        ),
      );
      // Batch buffers on the device: the fixture's problem's own and the one shared workspace.
      const bytes = Object.fromEntries(gpu.memory.byLabel());
      // Both solvers' evaluations interleave at their awaits, as a worker's tiles do.
      const together = await Promise.all(shared.map((p, i) => evaluate(p, setups[i].x)));
      for (const [i, got] of together.entries()) {
        assertEquals(got.cost, alone[i].cost, `problem ${i} cost`);
        assertEquals(Array.from(got.object), Array.from(alone[i].object), `problem ${i} object`);
        assertEquals(Array.from(got.probe), Array.from(alone[i].probe), `problem ${i} probe`);
      }
      assertEquals(bytes["batch work"], problem.work.size + workspace.work.size);
      assertEquals(
        bytes["batch stored waves"],
        problem.multislice.waves.size + workspace.waves.size,
      );
      for (const p of shared) p.dispose();
      workspace.destroy();
      fft.destroy();
    },
  );
});

Deno.test("GpuProblem reads frames from a FrameSource and frees what it allocated", async () => {
  await withCase(
    { slices: 1, modes: 1, noise: "poisson" },
    async ({ gpu, options, frames, problem, x }) => {
      // Uniform parameters are the device's content-addressed cache, not the problem's; so are
      // the staging buffers it keeps for small read-backs.
      const device = ["params", KEPT_READBACK];
      const held = () =>
        gpu.memory.byLabel().filter(([label]) => !device.includes(label))
          .reduce((n, [, b]) => n + b, 0);
      const want = await problem.cost(x); // allocates the fixture problem's lazy buffers first
      const before = held();
      const own = await GpuProblem.create({
        ...options,
        frames: new MemoryFrames(frames, options.frame),
      });
      const host = await problem.download(x);
      const y = own.upload(host.object, host.probe);
      assertEquals(await own.cost(y), want);
      own.destroy(y);
      own.dispose();
      assertEquals(held(), before);
    },
  );
});

Deno.test("GpuProblem precondition follows a changed probe and repeats itself for an unchanged one", async () => {
  await withCase({ slices: 1, modes: 2, noise: "poisson" }, async (t) => {
    const { problem, x, object, frames, model } = t;
    const reference = new ReferenceProblem({ ...model.options, frames, noise: "poisson" });
    const { object: no, probe: np } = problem.sizes;
    const g = { object: randomF32(2 * no), probe: randomF32(2 * np) };
    for (const p of [problem, reference]) p.setActive({ object: true, probe: false });
    const gBuffers = problem.upload(g.object, g.probe, "g");
    const out = problem.create("out");
    const results: Float32Array[] = [];
    for (const round of [0, 1, 2]) {
      // Round 1 keeps the probe (the illumination is not recomputed), round 2 changes it.
      const probe = round < 2 ? t.probe : toF64(randomF32(2 * np));
      if (round === 2) problem.gpu.write(x.probe, Float32Array.from(probe));
      problem.gpu.write(out.object, nans(2 * no));
      await problem.precondition(x, gBuffers, out);
      const got = (await problem.download(out)).object;
      results.push(got);
      const want = reference.create("want");
      const gRef = { object: toF64(g.object), probe: toF64(g.probe) };
      await reference.precondition({ object, probe }, gRef, want);
      assertLessOrEqual(relativeL2(toF64(got), want.object), 1e-5, `round ${round}`);
    }
    assertEquals(results[1], results[0]);
  });
});
