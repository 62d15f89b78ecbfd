import { assert, assertLessOrEqual } from "../assert.ts";
import { PositionGradient, Scan } from "../../src/operators/mod.ts";
import { shiftCurvatureReference, shiftGradientReference } from "../../src/physics/reference.ts";
import { Random } from "../../src/simulate/random.ts";
import { maxRelative, nans } from "../kernels/random.ts";
import { withBench } from "./setup.ts";

for (const [frame, modes, seed] of [[16, 1, 31], [32, 3, 32]]) {
  Deno.test(`PositionGradient matches its float64 reference for frame ${frame}, ${modes} modes, two batches`, async () => {
    await withBench(frame, async ({ gpu }) => {
      const rng = new Random(seed);
      const n = 7;
      const shape: [number, number] = [3 * frame, 3 * frame];
      const positionsY = rng.uniformArray(n, frame / 2 + 1, 2.5 * frame - 1);
      const positionsX = rng.uniformArray(n, frame / 2 + 1, 2.5 * frame - 1);
      const scan = Scan.create(gpu, {
        positionsY,
        positionsX,
        frame,
        objectShape: shape,
        batchSize: 4,
      });
      const m2 = frame * frame;
      const spectrum = Float32Array.from(rng.uniformArray(2 * modes * m2, -1, 1));
      const chiHat = Float32Array.from(rng.uniformArray(2 * n * modes * m2, -1, 1));
      const want = shiftGradientReference({
        frame,
        modes,
        fractionsY: positionsY.map((v) => v - Math.floor(v)),
        fractionsX: positionsX.map((v) => v - Math.floor(v)),
        spectrum,
        chiHat,
      });
      const shifts = await PositionGradient.create(gpu, scan, modes);
      const spec = gpu.upload(spectrum, "spectrum");
      // Poisoned, with one spare quadruple past the scan's positions, which no batch may write.
      const out = gpu.upload(nans(4 * (n + 1)), "position gradient");
      for (const batch of scan.batches) {
        const bytes = 8 * batch.count * modes * m2;
        const chi = gpu.upload(
          chiHat.subarray(batch.first * 2 * modes * m2).slice(0, bytes / 4),
          "chi",
        );
        shifts.record(chi, spec, batch, out);
      }
      const got = await gpu.readF32(out);
      assert(got.subarray(4 * n).every(Number.isNaN), "wrote past the scan");
      const part = (i: number) => Array.from({ length: n }, (_, j) => got[4 * j + i]);
      assertLessOrEqual(maxRelative(part(0), want.x), 1e-4, "dF/dx");
      assertLessOrEqual(maxRelative(part(1), want.y), 1e-4, "dF/dy");
      // The curvature's lanes are the other kernel's: left as they were.
      assert(Array.from({ length: n }, (_, j) => got[4 * j + 2]).every(Number.isNaN), "wrote .z");
      assert(Array.from({ length: n }, (_, j) => got[4 * j + 3]).every(Number.isNaN), "wrote .w");
      scan.destroy();
    });
  });
}

for (const [frame, modes, seed] of [[16, 2, 33], [32, 1, 34]]) {
  Deno.test(`PositionGradient's curvature matches its float64 reference for frame ${frame}, ${modes} modes, windows at the object's edges`, async () => {
    await withBench(frame, async ({ gpu }) => {
      const rng = new Random(seed);
      const n = 6;
      const shape: [number, number] = [2 * frame + 3, 2 * frame + 5];
      // Positions 0 and 1 put their windows against the object's edges (one-sided differences).
      const positionsY = Float64Array.from(
        { length: n },
        (_, j) =>
          j === 0
            ? frame / 2
            : j === 1
            ? shape[0] - frame / 2
            : frame / 2 + rng.uniform() * (shape[0] - frame),
      );
      const positionsX = Float64Array.from(
        { length: n },
        (_, j) =>
          j === 0
            ? frame / 2
            : j === 1
            ? shape[1] - frame / 2
            : frame / 2 + rng.uniform() * (shape[1] - frame),
      );
      const scan = Scan.create(gpu, {
        positionsY,
        positionsX,
        frame,
        objectShape: shape,
        batchSize: 4,
      });
      const m2 = frame * frame;
      const object = Float32Array.from(rng.uniformArray(2 * shape[0] * shape[1], -1, 1));
      const waves = Float32Array.from(rng.uniformArray(2 * n * modes * m2, -1, 1));
      const origins = Float64Array.from(
        { length: 2 * n },
        (_, i) => Math.floor(i % 2 ? positionsX[i >> 1] : positionsY[i >> 1]) - frame / 2,
      );
      const want = shiftCurvatureReference({
        frame,
        modes,
        objectShape: shape,
        object,
        origins,
        waves,
      });
      const shifts = await PositionGradient.create(gpu, scan, modes);
      const objectBuffer = gpu.upload(object, "object");
      const out = gpu.upload(nans(4 * (n + 1)), "position gradient");
      for (const batch of scan.batches) {
        const floats = 2 * batch.count * modes * m2;
        const start = 2 * batch.first * modes * m2;
        const w = gpu.upload(waves.slice(start, start + floats), "waves");
        shifts.recordCurvature(w, objectBuffer, batch, out);
      }
      const got = await gpu.readF32(out);
      assert(got.subarray(4 * n).every(Number.isNaN), "wrote past the scan");
      const part = (i: number) => Array.from({ length: n }, (_, j) => got[4 * j + i]);
      assert(
        part(0).every(Number.isNaN) && part(1).every(Number.isNaN),
        "wrote the gradient's lanes",
      );
      assertLessOrEqual(maxRelative(part(2), want.x), 1e-5, "curvature x");
      assertLessOrEqual(maxRelative(part(3), want.y), 1e-5, "curvature y");
      scan.destroy();
    });
  });
}
