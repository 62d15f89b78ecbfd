import { assert, assertEquals } from "../assert.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";
import { PieSession } from "../../src/engine/pie_session.ts";
import { simulateDataset } from "../../src/simulate/dataset.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";

async function open(algorithm: "epie" | "rpie", checkpoint: Checkpoint | null) {
  const { dataset } = await simulateDataset({ preset: "siemens", frame: 16, positions: 16 });
  const options: ReconstructOptions = { ...DEFAULT_OPTIONS, algorithm, refineProbeFrom: 1 };
  return await PieSession.open({ options, dataset, checkpoint, log: () => {} });
}

for (const algorithm of ["epie", "rpie"] as const) {
  Deno.test(`${algorithm}: a session restored from its checkpoint continues with identical bits`, async () => {
    const straight = await open(algorithm, null);
    for (let i = 0; i < 4; i++) await straight.step();
    const first = await open(algorithm, null);
    for (let i = 0; i < 2; i++) await first.step();
    const saved = await first.checkpoint();
    await first.step();
    const resumed = await open(algorithm, saved);
    assertEquals(resumed.iteration, 2);
    while (resumed.iteration < 4) await resumed.step();
    assertEquals(resumed.costs, straight.costs);
    assertEquals(resumed.x.object, straight.x.object);
    assertEquals(resumed.x.probe, straight.x.probe);
    assert(straight.costs[3] < straight.costs[0], "the cost decreases");
  });
}
