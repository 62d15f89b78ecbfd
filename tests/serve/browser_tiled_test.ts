/**
 * The live view of a tiled run in headless Chromium: a 2 x 2 run on 2 workers with `--serve`
 * must show the tile grid over the object with one residual (cost term and R-factor) per tile,
 * the halo mismatch of neighbouring tiles, and each worker's busy fraction in [0, 1]; after the
 * stop button, report.html must carry the same panel with the final values, offline.
 */
import type { Browser, Page } from "puppeteer-core";
import { assert, assertEquals, assertGreaterOrEqual } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";
import {
  endRun,
  freePort,
  launchChromium,
  type ServedRun,
  startServedRun,
  STARTUP_MS,
  within,
} from "./_browser.ts";

/** What a page shows of the tile panel. */
interface TilePanelState {
  iteration: number;
  /** Per tile on the grid: its number, cost term and R-factor as the page holds them. */
  tiles: Array<{ tile: number; cost: number; rFactor: number; text: string }>;
  /** The halo table's values, and how many mismatches the grid labels. */
  halo: Array<{ max: number; rms: number }>;
  haloLabels: number;
  /** The busy fractions of the workers' table, and the percentages it prints. */
  busy: number[];
  busyText: string[];
  /** Whether the phase picture under the grid loaded. */
  background: boolean;
}

/** Evaluated in a page (as text: these tests are type-checked without the DOM's types). */
const PANEL_STATE = `(async () => {
  const number = (text) => text === "" || text === "-" ? NaN : Number(text);
  const image = document.querySelector(".tile-grid image");
  let background = false;
  if (image) {
    const probe = new Image();
    probe.src = image.getAttribute("href");
    try { await probe.decode(); background = probe.naturalWidth > 0; } catch { background = false; }
  }
  const iteration = document.getElementById("iteration");
  return {
    iteration: iteration ? Number(iteration.dataset.iteration) : NaN,
    tiles: [...document.querySelectorAll(".tile-grid g.tile")].map((g) => ({
      tile: Number(g.dataset.tile),
      cost: number(g.dataset.cost),
      rFactor: number(g.dataset.rFactor),
      text: g.textContent,
    })),
    halo: [...document.querySelectorAll("table.halo tr")].slice(1).map((row) => ({
      max: number(row.cells[2].textContent),
      rms: number(row.cells[3].textContent),
    })),
    haloLabels: document.querySelectorAll(".tile-grid text.halo").length,
    busy: [...document.querySelectorAll("table.workers tr[data-busy]")]
      .map((row) => Number(row.dataset.busy)),
    busyText: [...document.querySelectorAll("table.workers tr[data-busy] td:last-child")]
      .map((cell) => cell.textContent),
    background,
  };
})()`;

function panelState(page: Page): Promise<TilePanelState> {
  return page.evaluate(PANEL_STATE) as Promise<TilePanelState>;
}

/** Checks a panel of a 2 x 2 run on 2 workers: 4 residuals, halo values, busy in [0, 1]. */
function checkPanel(state: TilePanelState): void {
  assertEquals(state.tiles.map((t) => t.tile), [0, 1, 2, 3], "one residual per tile");
  for (const t of state.tiles) {
    assert(Number.isFinite(t.cost), `tile ${t.tile}'s cost term is a number: ${t.cost}`);
    assert(t.rFactor > 0 && t.rFactor < 2, `tile ${t.tile}'s R-factor ${t.rFactor}`);
    assert(t.text.includes(`tile ${t.tile}`) && t.text.includes("R "), t.text);
  }
  // Every pair of the 2 x 2 grid's extended regions overlaps; at least 3 pairs share an edge.
  assertEquals(state.halo.length, 6, "a halo mismatch per neighbour pair");
  for (const e of state.halo) {
    assert(e.max >= 0 && e.rms >= 0 && e.rms <= e.max, `halo ${e.max} ${e.rms}`);
  }
  assertGreaterOrEqual(state.haloLabels, 3, "mismatches on the grid's shared edges");
  assertEquals(state.busy.length, 2, "a busy fraction per worker");
  for (const [i, busy] of state.busy.entries()) {
    assert(busy >= 0 && busy <= 1, `worker ${i} busy ${busy}`);
    assertEquals(state.busyText[i], `${(100 * busy).toFixed(0)} %`);
  }
  assert(state.background, "the object's phase under the grid");
}

Deno.test("the live view of a 2 x 2 tiled run shows each tile's residual, halo mismatch and busy workers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-browser-tiled-" });
  const input = `${dir}/scan.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "60"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/run`;
  const port = freePort();
  let run: ServedRun | null = null;
  let browser: Browser | null = null;
  try {
    run = await startServedRun(
      ["-i", input, "-o", out, "-a", "cg", "-n", "100000", "--tiles", "2x2", "--workers", "2"],
      port,
    );
    const { stderr, status, exited } = run;
    browser = await launchChromium(`${dir}/profile`);
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 1000 });
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 30_000 });
    await within(
      STARTUP_MS,
      "iteration >= 3 with the tile panel and its halo",
      (async () => {
        while (true) {
          const state = await panelState(page);
          if (state.iteration >= 3 && state.halo.length > 0 && state.background) return;
          if (exited()) throw new Error(`The run ended first:\n${stderr.text()}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })(),
    );
    checkPanel(await panelState(page));
    await page.screenshot({ path: `${dir}/live_view_tiled.png`, fullPage: true });
    assert((await Deno.stat(`${dir}/live_view_tiled.png`)).size > 10_000, "a screenshot");
    await page.click("#stop");
    const ended = await within(STARTUP_MS, "the run to stop after the button", status);
    assertEquals(ended.code, 130, stderr.text());

    // report.html, offline: the same panel with the final values, nothing requested.
    const offline = await browser.newPage();
    await offline.setOfflineMode(true);
    const requests: string[] = [];
    offline.on("request", (request) => requests.push(request.url()));
    const reportUrl = `file://${out}/report.html`;
    await offline.goto(reportUrl, { timeout: 30_000, waitUntil: "load" });
    const final = await panelState(offline);
    assertEquals(requests.filter((url) => url !== reportUrl && !url.startsWith("data:")), []);
    checkPanel(final);
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    assertEquals(
      final.tiles.map((t) => t.rFactor),
      report.tile_figures.tiles.map((t: { rFactor: number }) => t.rFactor),
      "report.html shows report.json's final values",
    );
  } finally {
    await browser?.close();
    if (run) await endRun(run);
    await Deno.remove(dir, { recursive: true });
  }
});
