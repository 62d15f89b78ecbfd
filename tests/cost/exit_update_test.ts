import { assertLessOrEqual } from "../assert.ts";
import { requestGpu } from "../../src/gpu/mod.ts";
import { ExitWaveUpdate } from "../../src/cost/mod.ts";
import { exitUpdateReference } from "../../src/physics/projection_reference.ts";
import { Random } from "../../src/simulate/random.ts";
import { maxRelative, nans } from "../kernels/random.ts";

const M = 32, COUNT = 3;

/** Random waves, frames with some zero counts, and a mask with a few bad pixels. */
function inputs(rng: Random, modes: number) {
  const m2 = M * M;
  const n = 2 * COUNT * modes * m2;
  const frames = Float32Array.from(rng.uniformArray(COUNT * m2, 0, 40), (d) => d < 4 ? 0 : d);
  const weights = Float32Array.from(rng.uniformArray(m2, 0, 1), (u) => u < 0.1 ? 0 : 1);
  const model = Float32Array.from(rng.uniformArray(n, -3, 3));
  const exits = Float32Array.from(rng.uniformArray(n, -3, 3));
  return { frames, weights, model, exits, m2 };
}

for (const modes of [1, 3]) {
  for (const beta of [1, 0.75]) {
    Deno.test(`ExitWaveUpdate matches the float64 update for ${modes} mode(s), beta ${beta}, from stored waves and from the start`, async () => {
      const gpu = await requestGpu({ label: "exit update test" });
      try {
        const update = await ExitWaveUpdate.create(gpu);
        const rng = new Random(17 + 10 * modes + Math.round(100 * beta));
        for (const init of [false, true]) {
          const d = inputs(rng, modes);
          // From the start the stored waves are only written: poisoned, any unwritten one fails.
          const exits = gpu.upload(init ? nans(d.exits.length) : d.exits, "exits");
          update.apply({
            frames: gpu.upload(d.frames, "frames"),
            weights: gpu.upload(d.weights, "weights"),
            model: gpu.upload(d.model, "model"),
            exits,
            count: COUNT,
            modes,
            m2: d.m2,
            beta,
            init,
          });
          const want = exitUpdateReference({ ...d, count: COUNT, modes, beta, init });
          assertLessOrEqual(maxRelative(await gpu.readF32(exits), want), 2e-6, `init ${init}`);
        }
      } finally {
        gpu.destroy();
      }
    });
  }
}
