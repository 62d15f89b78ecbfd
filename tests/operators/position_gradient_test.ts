import { assert, assertLessOrEqual } from "../assert.ts";
import { PositionGradient, Scan } from "../../src/operators/mod.ts";
import { shiftGradientReference } from "../../src/physics/reference.ts";
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
      assertLessOrEqual(maxRelative(part(2), want.curvatureX), 1e-5, "curvature x");
      assertLessOrEqual(maxRelative(part(3), want.curvatureY), 1e-5, "curvature y");
      scan.destroy();
    });
  });
}
