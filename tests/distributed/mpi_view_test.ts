/**
 * The live view and report of `reconstruct --mpi --serve` under `mpirun` on loopback: rank 0
 * alone serves, and while a page is connected its tile panel holds every rank's tiles (their
 * figures gathered to rank 0, the halo measured with the pictures all ranks read back); its stop
 * button stops every rank with a checkpoint; report.json and report.html name each tile's rank.
 */
import { assert, assertEquals } from "../assert.ts";
import { freePort } from "../serve/_browser.ts";
import { mpirun, smallScan } from "./mpi_launch.ts";

/** A tile of the panel's grid as the page receives it. */
interface GridTile {
  tile: number;
  worker: number;
  rank: number;
  cost: number;
  rFactor: number;
}

/** The tiles of a tile-grid SVG (`io/tile_panel.ts`), from their data attributes. */
function gridTiles(svg: string): GridTile[] {
  const pattern =
    /<g class="tile" data-tile="(\d+)" data-worker="(\d+)" data-rank="(\d+)" data-cost="([^"]*)" data-r-factor="([^"]*)"/g;
  return [...svg.matchAll(pattern)].map((m) => ({
    tile: Number(m[1]),
    worker: Number(m[2]),
    rank: Number(m[3]),
    cost: Number(m[4]),
    rFactor: Number(m[5]),
  }));
}

/** Reads server-sent events from `url`, retrying the connection until the view listens. */
async function subscribe(url: string) {
  let response: Response | null = null;
  for (let tries = 0; response === null; tries++) {
    try {
      response = await fetch(url);
    } catch (error) {
      if (tries > 2400) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  assertEquals(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<{ event: string; data: Record<string, unknown> }> {
      while (!buffer.includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        buffer += value;
      }
      const end = buffer.indexOf("\n\n");
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      return {
        event: /^event: (.*)$/m.exec(block)![1],
        data: JSON.parse(/^data: (.*)$/m.exec(block)![1]),
      };
    },
    cancel: () => reader.cancel(),
  };
}

Deno.test("reconstruct --mpi --serve on 2 ranks x 2 workers: rank 0's view shows both ranks' tiles with the halo, its stop button stops both ranks, and the report names each tile's rank", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpiview-" });
  try {
    const input = await smallScan(dir);
    const out = `${dir}/run`;
    const port = freePort();
    // Set by the page's side, which runs while mpirun does.
    const page: {
      shown: { tiles: GridTile[]; tables: string; workers: unknown } | null;
      failure: unknown;
    } = { shown: null, failure: null };
    const launch = await mpirun(2, [
      "deno",
      "task",
      "--quiet",
      "reconstruct:mpi",
      "-i",
      input,
      "-o",
      out,
      "-a",
      "cg",
      "--tiles",
      "2x2",
      "--workers",
      "2",
      "-n",
      "10000",
      "--serve",
      String(port),
    ], async (child) => {
      try {
        const stream = await subscribe(`http://127.0.0.1:${port}/events`);
        // The first iteration shown with pictures: the snapshot measured the halo.
        for (;;) {
          const { event, data } = await stream.next();
          const tiles = data.tiles as { grid: string; tables: string } | null;
          if (event !== "iteration" || !tiles || data.pictures === null) continue;
          const last = data.last as { workers: number };
          page.shown = {
            tiles: gridTiles(tiles.grid),
            tables: tiles.tables,
            workers: last.workers,
          };
          break;
        }
        const stop = await fetch(`http://127.0.0.1:${port}/stop`, { method: "POST" });
        assertEquals(stop.status, 202);
        await stop.body?.cancel();
        await stream.cancel();
      } catch (error) {
        page.failure = error;
        child.kill("SIGKILL");
      }
    });
    if (page.failure) throw page.failure;
    assertEquals(launch.code, 130, launch.stderr);
    assert(page.shown !== null);
    const { tiles, tables, workers } = page.shown;
    assertEquals(tiles.map((t) => t.tile), [0, 1, 2, 3], "every rank's tiles on rank 0's page");
    assertEquals(tiles.map((t) => [t.worker, t.rank]), [[0, 0], [1, 0], [2, 1], [3, 1]]);
    for (const t of tiles) {
      assert(Number.isFinite(t.cost) && t.rFactor > 0 && t.rFactor < 1, JSON.stringify(t));
    }
    assert(!tables.includes("halo-none"), "the halo is measured with the pictures");
    assertEquals([...tables.matchAll(/<tr data-busy=/g)].length, 4, "a busy fraction per worker");
    assertEquals(workers, 4, "both ranks' workers");
    assert((await Deno.stat(`${out}/checkpoint`)).isDirectory, "the stop wrote a checkpoint");

    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assertEquals(report.interrupted, true);
    const figures = report.tile_figures;
    assertEquals(figures.transport, "mpi");
    assertEquals(figures.tiles.map((t: { rank: number }) => t.rank), [0, 0, 1, 1]);
    assertEquals(figures.workers.map((w: { rank: number }) => w.rank), [0, 0, 1, 1]);
    assertEquals(figures.workers.map((w: { tiles: number[] }) => w.tiles), [[0], [1], [2], [3]]);
    // The tiles' terms sum in tile order to the cost of the last step's last evaluation.
    const sum = figures.tiles.reduce((s: number, t: { cost: number }) => s + t.cost, 0);
    assertEquals(sum, report.loss_values.at(-1));
    assertEquals(figures.halo.length, 6, "a halo mismatch per pair of overlapping tiles");
    const html = await Deno.readTextFile(`${out}/report.html`);
    for (const tile of [0, 1, 2, 3]) {
      assert(html.includes(`data-tile="${tile}" data-worker="${tile}" data-rank="${tile >> 1}"`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
