import { simulateDataset } from "../../../src/simulate/mod.ts";
import { withoutEmptyTiles } from "../../../src/engine/mod.ts";
import { planTiling, type Rect } from "../../../src/tiling/mod.ts";
import { assert, assertEquals, assertThrows } from "../../assert.ts";

/**
 * A 2 x 3 raster: tile cores are balanced by position count, so tiles stay empty only where a
 * band holds fewer distinct centre rows (or columns) than tiles.
 */
const sparseRaster = () =>
  simulateDataset({ preset: "siemens", frame: 32, positions: 6, scan: "raster" });

const inside = (r: Rect, y: number, x: number) =>
  y >= r.y0 && y < r.y0 + r.height && x >= r.x0 && x < r.x0 + r.width;

Deno.test("withoutEmptyTiles keeps the tiles holding positions and gives every computed pixel one owner", async () => {
  const { dataset } = await sparseRaster();
  const [h, w] = dataset.objectShape;
  for (const tiles of [[3, 3], [4, 4]] as Array<[number, number]>) {
    const plan = planTiling({ ...dataset, tiles, workers: 2 });
    const { tiling, alsoOwned } = withoutEmptyTiles(plan);
    const kept = plan.positionsOf.filter((p) => p.length > 0).length;
    assert(kept < plan.positionsOf.length, `${tiles}: some tile is empty`);
    assertEquals(tiling.regions.length, kept);
    assert(tiling.positionsOf.every((p) => p.length > 0));
    assertEquals(tiling.positionsOf.reduce((n, p) => n + p.length, 0), dataset.count);
    tiling.owner.forEach((t, j) => assert(tiling.positionsOf[t].includes(j)));
    alsoOwned.forEach((rects, t) =>
      rects.forEach((r) => {
        const region = tiling.regions[t];
        assert(inside(region, r.y0, r.x0), "owned pixels lie in the owner's region");
        assert(inside(region, r.y0 + r.height - 1, r.x0 + r.width - 1));
      })
    );
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const owners = tiling.cores.filter((c) => inside(c, y, x)).length +
          alsoOwned.flat().filter((r) => inside(r, y, x)).length;
        const computed = tiling.regions.some((r) => inside(r, y, x));
        assertEquals(owners, computed ? 1 : 0, `${tiles}: owners of pixel (${y}, ${x})`);
      }
    }
  }
});

Deno.test("withoutEmptyTiles refuses more workers than tiles holding positions", async () => {
  const { dataset } = await sparseRaster();
  const plan = planTiling({ ...dataset, tiles: [4, 4], workers: 16 });
  const error = assertThrows(() => withoutEmptyTiles(plan), RangeError);
  assert(error.message.includes("among 16 workers"), error.message);
});
