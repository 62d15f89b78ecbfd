/**
 * The live view and report.html in a real browser: Debian's headless Chromium driven through
 * puppeteer-core. A small run is started with `deno task reconstruct --serve` on a free loopback
 * port; the page must show iteration 3 or later with pictures that are not blank and one plot
 * point per iteration, and its stop button must leave a checkpoint. report.html must then open
 * from disk with the network off and no request made.
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

/** What the live page shows now. */
interface PageState {
  iteration: number;
  points: number;
  /** Each picture's spread of pixel values (0: blank or not loaded). */
  images: number[];
}

/**
 * Evaluated in the page (as text: these tests are type-checked without the DOM's types): the
 * iteration shown, the plot's points and each picture's pixel spread.
 */
const PAGE_STATE = `(() => {
  const spread = (img) => {
    if (!img.complete || img.naturalWidth === 0) return 0;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let min = 255, max = 0;
    for (let i = 0; i < data.length; i += 4) {
      min = Math.min(min, data[i], data[i + 1], data[i + 2]);
      max = Math.max(max, data[i], data[i + 1], data[i + 2]);
    }
    return max - min;
  };
  return {
    iteration: Number(document.getElementById("iteration").dataset.iteration),
    points: document.querySelectorAll("#plot circle").length,
    images: ["phase", "amplitude", "probe"].map((id) => spread(document.getElementById(id))),
  };
})()`;

function pageState(page: Page): Promise<PageState> {
  return page.evaluate(PAGE_STATE) as Promise<PageState>;
}

/** Evaluated in report.html: which pictures loaded, and the cost plot's points. */
const REPORT_STATE = `({
  images: [...document.images].map((img) => img.complete && img.naturalWidth > 0),
  points: document.querySelectorAll("#cost-plot circle").length,
})`;

Deno.test("the live view in headless Chromium shows the run, and its stop button checkpoints", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-browser-" });
  const input = `${dir}/scan.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "30"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/run`;
  const port = freePort();
  let run: ServedRun | null = null;
  let browser: Browser | null = null;
  try {
    run = await startServedRun(["-i", input, "-o", out, "-a", "cg", "-n", "100000"], port);
    const { stderr, stdout, status, exited } = run;
    browser = await launchChromium(`${dir}/profile`);
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 860 });
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 30_000 });
    await within(
      STARTUP_MS,
      "iteration >= 3 with three pictures on the page",
      (async () => {
        while (true) {
          const state = await pageState(page);
          if (state.iteration >= 3 && state.images.every((spread) => spread > 0)) return;
          if (exited()) throw new Error(`The run ended first:\n${stderr.text()}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })(),
    );
    const state = await pageState(page);
    assertGreaterOrEqual(state.iteration, 3);
    assertEquals(state.points, state.iteration, "one plot point per iteration shown");
    for (const spread of state.images) assertGreaterOrEqual(spread, 16, "pictures are not blank");
    await page.screenshot({ path: `${dir}/live_view.png` });
    assert((await Deno.stat(`${dir}/live_view.png`)).size > 10_000, "a screenshot");
    await page.click("#stop");
    const ended = await within(STARTUP_MS, "the run to stop after the button", status);
    await within(10_000, "the run's output to close", Promise.all([stderr.done, stdout.done]));
    assertEquals(ended.code, 130, stderr.text());
    assert(stderr.text().includes("Stop requested from the live view"), stderr.text());
    assert((await Deno.stat(`${out}/checkpoint/state.tsck`)).size > 0, "a checkpoint");

    // report.html from disk, with the network off: nothing may be requested.
    const offline = await browser.newPage();
    await offline.setOfflineMode(true);
    const requests: string[] = [];
    offline.on("request", (request) => requests.push(request.url()));
    const reportUrl = `file://${out}/report.html`;
    await offline.goto(reportUrl, { timeout: 30_000, waitUntil: "load" });
    const shown = await offline.evaluate(REPORT_STATE) as { images: boolean[]; points: number };
    assertEquals(requests.filter((url) => url !== reportUrl && !url.startsWith("data:")), []);
    assertEquals(shown.images, [true, true, true]);
    assertGreaterOrEqual(shown.points, state.iteration);
  } finally {
    await browser?.close();
    if (run) await endRun(run);
    await Deno.remove(dir, { recursive: true });
  }
});
