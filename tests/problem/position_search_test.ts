/**
 * Position correction's search: the per-frame sums of `wgsl/position_search.wgsl` against their
 * float64 twin, and `PositionSearch`'s R-factors and costs at whole-pixel offsets against the
 * float64 model, which finds a position moved off its frame.
 */
import { assertEquals, assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { frameCostsReference } from "../../src/physics/positions.ts";
import { ReferenceModel } from "../../src/physics/reference.ts";
import { FrameCosts, GpuProblem, PositionSearch } from "../../src/problem/mod.ts";
import { maxRelative, nans, randomF32, testRandom } from "../kernels/random.ts";
import { randomPositions } from "../operators/setup.ts";
import { M, PROPAGATION, SHAPE } from "./fixture.ts";

for (const noise of ["poisson", "gaussian"] as const) {
  for (const stride of [0, 1] as const) {
    Deno.test(`FrameCosts matches its float64 reference (${noise}, 2 modes, frame stride ${stride}), writing only its quadruples`, async () => {
      const gpu = await requestGpu({ label: "frame costs test" });
      try {
        const m2 = 32 * 32, modes = 2, count = 5, at = 2;
        const far = randomF32(2 * count * modes * m2, 6);
        // Counts near the model's, some dark, and a few masked pixels.
        const frames = Float32Array.from(
          { length: count * m2 },
          () => (testRandom() < 0.1 ? 0 : 150 * testRandom()),
        );
        const weights = Float32Array.from({ length: m2 }, () => (testRandom() < 0.05 ? 0 : 1));
        const out = gpu.upload(nans(4 * (count + at + 1)), "out");
        const sums = await FrameCosts.create(gpu);
        sums.record({
          far: gpu.upload(far, "far"),
          frames: gpu.upload(frames, "frames"),
          weights: gpu.upload(weights, "weights"),
          m2,
          modes,
          count,
          stride,
          noise,
          out,
          at,
        });
        const got = await gpu.readF32(out);
        const want = frameCostsReference({ far, frames, weights, m2, modes, count, stride, noise });
        for (let c = 0; c < count; c++) {
          const g = got.subarray(4 * (at + c), 4 * (at + c + 1));
          const w = want.subarray(4 * c, 4 * (c + 1));
          assertLessOrEqual(maxRelative(g, w), 1e-5, `far field ${c}: ${g} vs ${w}`);
        }
        // Outside its quadruples the poison stays.
        for (const q of [0, 1, at + count]) {
          for (let i = 0; i < 4; i++) assertEquals(Number.isNaN(got[4 * q + i]), true, `${q}`);
        }
      } finally {
        gpu.destroy();
      }
    });
  }
}

/** A random complex field near `base` (`length` elements, interleaved). */
function near(length: number, base: number, spread: number): Float64Array {
  return Float64Array.from(
    { length: 2 * length },
    (_, i) => (i % 2 === 0 ? base : 0) + spread * (2 * testRandom() - 1),
  );
}

for (
  const c of [
    { slices: 1, modes: 1, noise: "poisson", mask: true },
    { slices: 2, modes: 2, noise: "gaussian", mask: false },
  ] as const
) {
  const name = `S=${c.slices} K=${c.modes} ${c.noise}${c.mask ? ", masked" : ""}`;
  Deno.test(`PositionSearch's R-factors and offset costs equal the float64 model's, and the lowest cost puts a moved position back (${name})`, async () => {
    const n = 6, j = 2;
    const { positionsY: trueY, positionsX: trueX } = randomPositions(n, M, SHAPE);
    const mask = c.mask
      ? Uint8Array.from({ length: M * M }, () => (testRandom() < 0.05 ? 1 : 0))
      : null;
    const weights = Array.from({ length: M * M }, (_, q) => (mask?.[q] ? 0 : 1));
    const base = {
      frame: M,
      objectShape: SHAPE,
      slices: c.slices,
      modes: c.modes,
      positionsY: trueY,
      positionsX: trueX,
      propagation: PROPAGATION,
      mask,
    };
    // Random pixels: every whole-pixel offset of a window changes what the frame sees.
    const object = new Float64Array(new Float32Array(near(c.slices * SHAPE[0] * SHAPE[1], 1, 0.3)));
    const probe = new Float64Array(new Float32Array(near(c.modes * M * M, 2, 1.5)));
    const frames = new Float32Array(new ReferenceModel(base).intensities(object, probe));
    // Position j recorded 2 px off along both axes, toward the object's centre.
    const d = [SHAPE[0] / 2 - trueY[j], SHAPE[1] / 2 - trueX[j]].map((v) => Math.sign(v) * 2);
    const positionsY = trueY.slice(), positionsX = trueX.slice();
    positionsY[j] += d[0];
    positionsX[j] += d[1];
    const gpu = await requestGpu({ label: "position search test" });
    try {
      const problem = await GpuProblem.create({
        gpu,
        frames: gpu.upload(frames, "frames"),
        positionsY,
        positionsX,
        frame: M,
        objectShape: SHAPE,
        slices: c.slices,
        modes: c.modes,
        noise: c.noise,
        mask,
        batchSize: 4,
        sliceDistance: PROPAGATION.sliceThickness,
        wavelength: PROPAGATION.wavelength,
        pixelSize: PROPAGATION.pixelSize,
      });
      const x = problem.upload(new Float32Array(object), new Float32Array(probe));
      const search = await PositionSearch.create(problem, {
        noise: c.noise,
        propagation: PROPAGATION,
      });
      const moved = new ReferenceModel({ ...base, positionsY, positionsX });
      const all = Array.from({ length: n }, (_, i) => i);
      const sums = frameCostsReference({
        far: moved.farFields(object, probe, all),
        frames,
        weights,
        m2: M * M,
        modes: c.modes,
        count: n,
        stride: 1,
        noise: c.noise,
      });
      const r = await search.rFactors(x);
      const want = all.map((i) => sums[4 * i + 1] / sums[4 * i + 2]);
      assertLessOrEqual(maxRelative(r, want), 1e-4, `${r} vs ${want}`);
      // Every offset within 3 px that keeps the window inside the object.
      const inside = (v: number, size: number) =>
        Math.floor(v) - M / 2 >= 0 && Math.floor(v) + M / 2 <= size;
      const dy: number[] = [], dx: number[] = [];
      for (let a = -3; a <= 3; a++) {
        for (let b = -3; b <= 3; b++) {
          if (inside(positionsY[j] + a, SHAPE[0]) && inside(positionsX[j] + b, SHAPE[1])) {
            dy.push(a);
            dx.push(b);
          }
        }
      }
      const call = { position: j, dy: Int32Array.from(dy), dx: Int32Array.from(dx) };
      // A second call of fewer tries: the trial scan keeps its count and moves between calls.
      const short = { position: 0, dy: new Int32Array([0, 1]), dx: new Int32Array([0, 0]) };
      const [costs, two] = await search.costs(x, [call, short]);
      assertEquals(two.length, 2);
      const tries = new ReferenceModel({
        ...base,
        positionsY: Float64Array.from(dy, (v) => positionsY[j] + v),
        positionsX: Float64Array.from(dx, (v) => positionsX[j] + v),
      });
      const reference = frameCostsReference({
        far: tries.farFields(object, probe, dy.map((_, i) => i)),
        frames: frames.subarray(j * M * M, (j + 1) * M * M),
        weights,
        m2: M * M,
        modes: c.modes,
        count: dy.length,
        stride: 0,
        noise: c.noise,
      }).filter((_, i) => i % 4 === 0);
      assertLessOrEqual(maxRelative(costs, reference), 1e-4, `${costs} vs ${reference}`);
      const best = costs.indexOf(Math.min(...costs));
      assertEquals([dy[best], dx[best]], [-d[0], -d[1]]);
      search.destroy();
    } finally {
      gpu.destroy();
    }
  });
}
