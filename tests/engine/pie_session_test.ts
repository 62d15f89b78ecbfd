import { assert, assertEquals } from "../assert.ts";
import type { Checkpoint } from "../../src/engine/checkpoint.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";
import { PieSession } from "../../src/engine/pie_session.ts";
import { openPie } from "../../src/engine/pie_open.ts";
import { simulateDataset } from "../../src/simulate/dataset.ts";

async function open(algorithm: "epie" | "rpie", checkpoint: Checkpoint | null) {
  const { dataset } = await simulateDataset({ preset: "siemens", frame: 16, positions: 16 });
  const options: ReconstructOptions = { ...DEFAULT_OPTIONS, algorithm, refineProbeFrom: 1 };
  const session = await openPie({
    options,
    dataset,
    checkpoint,
    log: () => {},
    variant: algorithm,
  });
  assert(session instanceof PieSession);
  return session;
}

for (const algorithm of ["epie", "rpie"] as const) {
  Deno.test(`${algorithm}: a device session restored from its checkpoint continues with identical bits`, async () => {
    const straight = await open(algorithm, null);
    for (let i = 0; i < 4; i++) await straight.step();
    const expected = await straight.result();
    await straight.destroy();

    const first = await open(algorithm, null);
    for (let i = 0; i < 2; i++) await first.step();
    const saved = await first.checkpoint();
    await first.step();
    await first.destroy();

    const resumed = await open(algorithm, saved);
    assertEquals(resumed.iteration, 2);
    while (resumed.iteration < 4) await resumed.step();
    const actual = await resumed.result();
    await resumed.destroy();

    assertEquals(resumed.costs, straight.costs);
    assertEquals(actual.object.data, expected.object.data);
    assertEquals(actual.probe.data, expected.probe.data);
    assertEquals(actual.finalCost, expected.finalCost);
    assert(actual.finalCost < straight.costs[0], "the cost decreases");
  });
}
