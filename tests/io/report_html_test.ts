import { linePlotSvg } from "../../src/io/line_plot.ts";
import type { Report } from "../../src/io/report.ts";
import { base64, REPORT_CSP, reportHtml } from "../../src/io/report_html.ts";
import { assert, assertEquals } from "../assert.ts";
import { random } from "./_cxi_fixture.ts";

function report(losses: number[], extra: Record<string, unknown> = {}): Report {
  return {
    algorithm: "cg",
    iterations: losses.length - 1,
    tiles: [2, 3],
    workers: 2,
    exchange: "sync",
    slices: 1,
    positions: 9,
    frame: 16,
    object_shape: [1, 40, 50],
    adapter: { description: "llvmpipe <test>", fallback: true },
    loss_values: losses,
    seconds_total: 1.5,
    seconds_per_iteration: 0.5,
    device_bytes_peak_per_worker: [1 << 20, 1 << 21],
    host_rss_bytes_peak: 1 << 26,
    input: "scan & co.cxi",
    ...extra,
  };
}

/** Random bytes standing in for a PNG (the page only embeds them). */
function bytes(seed: number, n: number): Uint8Array {
  const rand = random(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

Deno.test("linePlotSvg() draws one point per finite value, negative values included", () => {
  const rand = random(5);
  const values = Array.from({ length: 12 }, () => -1e8 * (1 + rand()));
  values[4] = NaN;
  const svg = linePlotSvg(values, { label: "cost <Poisson>" });
  assertEquals(svg.match(/<circle /g)?.length, 11);
  assert(svg.includes('data-points="11"'), svg.slice(0, 300));
  assert(svg.includes("cost &lt;Poisson&gt;"), "the label is escaped");
});

Deno.test("reportHtml() inlines the pictures and plots and fetches nothing", () => {
  const pictures = { phase: bytes(1, 70001), amplitude: bytes(2, 300), probe: bytes(3, 5) };
  const rand = random(7);
  const losses = Array.from({ length: 9 }, () => rand());
  const rFactor = Array.from({ length: 8 }, () => rand());
  const html = reportHtml(report(losses, { r_factor_values: rFactor }), pictures);
  for (const png of Object.values(pictures)) {
    assert(html.includes(`src="data:image/png;base64,${base64(png)}"`), "picture inlined");
  }
  assertEquals(atob(base64(pictures.phase)).length, 70001);
  assert(html.includes(`content="${REPORT_CSP}"`), "CSP forbids requests");
  const costPlot = /<figure id="cost-plot">([\s\S]*?)<\/figure>/.exec(html)![1];
  assertEquals(costPlot.match(/<circle /g)?.length, 9);
  const rPlot = /<figure id="r-factor-plot">([\s\S]*?)<\/figure>/.exec(html)![1];
  assertEquals(rPlot.match(/<circle /g)?.length, 8);
  for (
    const text of ["2 x 3", "1 x 40 x 50", "llvmpipe &lt;test&gt; (fallback)", "scan &amp; co.cxi"]
  ) {
    assert(html.includes(text), `has ${text}`);
  }
  // Every src or href is a data URL: nothing to fetch.
  const links = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
  assertEquals(links.filter((l) => !l.startsWith("data:")), []);
  assert(!/<script/i.test(html), "no scripts");
});

Deno.test("reportHtml() leaves the R-factor plot out when the run has none", () => {
  const html = reportHtml(report([3, 2, 1]), {
    phase: bytes(4, 10),
    amplitude: bytes(5, 10),
    probe: bytes(6, 10),
  });
  assert(!html.includes("r-factor-plot"), "no R-factor plot");
  assert(html.includes("cost-plot"), "the cost plot");
});
