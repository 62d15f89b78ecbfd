/** The tile panel's drawing: one group per tile, mismatches on shared edges, ranks when present. */
import {
  figure,
  sharedEdge,
  type TileFigures,
  tileGridSvg,
  tileTables,
} from "../../src/io/tile_panel.ts";
import { assert, assertEquals } from "../assert.ts";
import { random } from "./_cxi_fixture.ts";

/**
 * A 2 x 2 panel on a 40 x 50 object with seeded figures, two tiles per worker; `ranks` makes the
 * two workers participants 2 and 3, rank 1's workers 0 and 1 (two workers a rank).
 */
function panel(seed: number, ranks: boolean): TileFigures {
  const rand = random(seed);
  const cores = [
    { y0: 0, x0: 0, height: 20, width: 24 },
    { y0: 0, x0: 24, height: 20, width: 26 },
    { y0: 20, x0: 0, height: 20, width: 30 },
    { y0: 20, x0: 30, height: 20, width: 20 },
  ];
  return {
    transport: ranks ? "mpi" : "workers",
    grid: [2, 2],
    objectShape: [40, 50],
    iteration: 6,
    tiles: cores.map((core, tile) => ({
      tile,
      core,
      worker: (tile >> 1) + (ranks ? 2 : 0),
      rank: ranks ? 1 : null,
      cost: -1e6 * rand(),
      rFactor: rand(),
      rShare: rand() / 4,
    })),
    workers: [0, 1].map((w) => ({
      worker: w + (ranks ? 2 : 0),
      rank: ranks ? 1 : null,
      tiles: [2 * w, 2 * w + 1],
      busy: rand(),
    })),
    halo: [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]].map(([a, b]) => ({
      tiles: [a, b] as [number, number],
      band: { y0: 10, x0: 10, height: 20, width: 30 },
      max: rand(),
      rms: rand() / 10,
    })),
    haloIteration: 5,
  };
}

Deno.test("sharedEdge() finds the middle of the boundary two cores share, null at a corner", () => {
  const a = { y0: 0, x0: 0, height: 20, width: 24 };
  assertEquals(sharedEdge(a, { y0: 0, x0: 24, height: 20, width: 26 }), { x: 24, y: 10 });
  assertEquals(sharedEdge(a, { y0: 20, x0: 0, height: 20, width: 30 }), { x: 12, y: 20 });
  assertEquals(sharedEdge({ y0: 20, x0: 0, height: 20, width: 30 }, a), { x: 12, y: 20 });
  // Column cuts differ between row bands: tiles 1 and 2 share columns 24..30 of row 20.
  assertEquals(
    sharedEdge({ y0: 0, x0: 24, height: 20, width: 26 }, { y0: 20, x0: 0, height: 20, width: 30 }),
    { x: 27, y: 20 },
  );
  assertEquals(sharedEdge(a, { y0: 20, x0: 24, height: 20, width: 26 }), null);
  assertEquals(sharedEdge(a, { y0: 0, x0: 30, height: 20, width: 20 }), null);
});

Deno.test("tileGridSvg() draws every tile with its figures and the mismatch on shared edges only", () => {
  const f = panel(3, false);
  const svg = tileGridSvg(f, { href: "phase.png?a=1&b=2", width: 400, height: 320, zoom: 8 });
  assertEquals(svg.match(/<g class="tile"/g)?.length, 4);
  for (const t of f.tiles) {
    assert(svg.includes(`data-tile="${t.tile}"`) && svg.includes(`data-cost="${t.cost}"`));
    assert(svg.includes(`R ${figure(t.rFactor)}`), `tile ${t.tile}'s R-factor`);
  }
  // Tiles 1 and 2 share columns 24..30 of row 20, 1 and 3 columns 30..50; 0 and 3 do not touch.
  const labelled = [...svg.matchAll(/class="halo" data-tiles="([^"]*)"/g)].map((m) => m[1]);
  assertEquals(labelled, ["0-1", "0-2", "1-2", "1-3", "2-3"]);
  assert(svg.includes('href="phase.png?a=1&amp;b=2"'), "the background's address, escaped");
  assert(
    /<image [^>]*x="0" y="0" width="50" height="40"/.test(svg),
    "the picture's first slice (zoom 8) fills the object",
  );
  assert(!tileGridSvg(f, null).includes("<image"), "no picture yet: no background");
});

Deno.test("tileTables() lists tiles, bands and busy fractions, naming ranks when the run has them", () => {
  const plain = tileTables(panel(4, false));
  assertEquals(plain.match(/<tr data-busy=/g)?.length, 2);
  assert(plain.includes("<th>worker</th>") && !plain.includes("rank"), "workers");
  assertEquals(plain.match(/<table class="halo">[\s\S]*?<\/table>/)![0].match(/<tr>/g)?.length, 7);
  const mpi = tileTables(panel(4, true));
  assertEquals(mpi.match(/<th>rank, worker<\/th>/g)?.length, 2, "ranks and workers under MPI");
  const cells = (table: string) =>
    [...mpi.match(new RegExp(`<table class="${table}">.*?</table>`))![0].matchAll(
      /<tr(?: data-busy="[^"]*")?><td>([^<]*)<\/td><td>([^<]*)<\/td>/g,
    )].map((m) => m.slice(1));
  assertEquals(cells("tiles"), [["0", "1, 0"], ["1", "1, 0"], ["2", "1, 1"], ["3", "1, 1"]]);
  assertEquals(cells("workers"), [["1, 0", "0, 1"], ["1, 1", "2, 3"]]);
  assert(tileGridSvg(panel(4, true), null).includes("tile 3, rank 1, worker 1"), "the label");
  const none = tileTables({ ...panel(4, false), halo: null });
  assert(none.includes("not measured yet") && !none.includes('class="halo"'));
  assertEquals([figure(null), figure(NaN), figure(0), figure(0.12345), figure(-4.6e8)], [
    "-",
    "-",
    "0",
    "0.123",
    "-4.60e+8",
  ]);
});
