import { benchProblem } from "../../../tasks/bench/_tiled_common.ts";
import { type EngineSessionOptions, openEngineSession } from "../../../src/engine/mod.ts";
import { assertLessOrEqual, relativeL2 } from "../../assert.ts";

/** A small simulated set and a start near (not at) its truth. */
function problem(): Promise<Omit<EngineSessionOptions, "tiles" | "workers">> {
  return benchProblem(64, 120, 5);
}

async function gradientOf(
  base: Omit<EngineSessionOptions, "tiles" | "workers">,
  tiles: [number, number],
  workers: number,
) {
  const session = await openEngineSession({ ...base, tiles, workers });
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
