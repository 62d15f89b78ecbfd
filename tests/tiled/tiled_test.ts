import { simulateDataset } from "../../src/simulate/mod.ts";
import { openTiledSession, type TiledSessionOptions } from "../../src/tiled/mod.ts";
import { assertLessOrEqual, relativeL2 } from "../assert.ts";

/** A small simulated set and a start near (not at) its truth, where the cost is finite. */
async function problem(): Promise<Omit<TiledSessionOptions, "tiles" | "workers">> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 64,
    positions: 120,
    scan: "raster",
    seed: 5,
  });
  const object = Float32Array.from(truth.object);
  for (let i = 0; i < object.length / 2; i++) {
    const a = 0.3 * Math.sin(i * 0.37);
    const [re, im] = [object[2 * i], object[2 * i + 1]];
    object[2 * i] = re * Math.cos(a) - im * Math.sin(a);
    object[2 * i + 1] = re * Math.sin(a) + im * Math.cos(a);
  }
  return {
    dataset,
    exchange: "sync",
    algorithm: "gd",
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object, probe: Float32Array.from(truth.probe) },
  };
}

async function gradientOf(
  base: Omit<TiledSessionOptions, "tiles" | "workers">,
  tiles: [number, number],
  workers: number,
) {
  const session = await openTiledSession({ ...base, tiles, workers });
  try {
    return await session.gradient();
  } finally {
    await session.destroy();
  }
}

Deno.test("tiled gradients (2 x 2 on 4 workers, 3 x 3 on 2) equal the untiled gradient", async () => {
  const base = await problem();
  const whole = await gradientOf(base, [1, 1], 1);
  for (const [tiles, workers] of [[[2, 2], 4], [[3, 3], 2]] as Array<[[number, number], number]>) {
    const tiled = await gradientOf(base, tiles, workers);
    const what = `${tiles.join(" x ")} tiles on ${workers} workers`;
    assertLessOrEqual(
      Math.abs(tiled.cost - whole.cost) / Math.abs(whole.cost),
      1e-6,
      `${what}: cost`,
    );
    assertLessOrEqual(relativeL2(tiled.object.data, whole.object.data), 1e-5, `${what}: object`);
    assertLessOrEqual(relativeL2(tiled.probe.data, whole.probe.data), 1e-5, `${what}: probe`);
  }
});
