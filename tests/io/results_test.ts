import { InputError } from "../../src/data/errors.ts";
import { convergenceSvg } from "../../src/io/convergence_svg.ts";
import { readCxi } from "../../src/io/cxi_reader.ts";
import { formatSummary, inspectCxi } from "../../src/io/inspect.ts";
import { readProduct } from "../../src/io/product.ts";
import { type Report, reportJson } from "../../src/io/report.ts";
import { RESULT_FILES, writeResults } from "../../src/io/results.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { random, writeFixture } from "./_cxi_fixture.ts";

const P25 = new URL("../data/PETRAIII_P25_Near_Field_Ptycho.cxi", import.meta.url).pathname;

function report(loss: number[]): Report {
  return {
    algorithm: "cg",
    iterations: loss.length,
    tiles: [1, 1],
    workers: 1,
    exchange: "sync",
    slices: 1,
    positions: 9,
    frame: 16,
    object_shape: [1, 0, 0],
    adapter: { description: "llvmpipe", fallback: true },
    loss_values: loss,
    seconds_total: 1.5,
    seconds_per_iteration: 0.5,
    device_bytes_peak_per_worker: [1 << 20],
    host_rss_bytes_peak: 1 << 26,
  };
}

Deno.test("convergenceSvg() draws one point per finite positive cost on labelled log axes", () => {
  const svg = convergenceSvg([1e6, 2e5, NaN, 3e4, 0], { title: "cg <test>" });
  assert(svg.startsWith("<svg") && svg.trimEnd().endsWith("</svg>"), "a whole document");
  assertEquals(svg.match(/<circle /g)?.length, 3);
  for (const text of ["iteration", "cost (log scale)", "10⁶", "10⁴", "cg &lt;test&gt;"]) {
    assert(svg.includes(text), `has ${text}`);
  }
});

Deno.test("convergenceSvg() draws a negative (Poisson) cost as it is on a linear axis, every finite point", () => {
  const costs = [-4.43e8, -4.53e8, NaN, -4.6e8, -4.631e8];
  const svg = convergenceSvg(costs);
  assert(svg.includes("cost (linear scale)") && !svg.includes("log scale"), "a linear axis");
  const circles = [...svg.matchAll(/<circle cx="[^"]*" cy="([^"]*)"/g)].map((m) => Number(m[1]));
  assertEquals(circles.length, 4);
  // Lower cost lower on the plot (larger y), in the costs' order.
  for (let k = 1; k < circles.length; k++) assert(circles[k] > circles[k - 1], `${circles}`);
  // Round ticks (a step of 5e6) spanning the values.
  for (const text of [">-4.65e+8<", ">-4.4e+8<"]) assert(svg.includes(text), `has ${text}`);
});

Deno.test("convergenceSvg() draws the R-factor dashed on its own linear axis, leaving out NaN", () => {
  const svg = convergenceSvg([1e6, 2e5, 3e4], { rFactors: [0.42, NaN, 0.11] });
  const dashed = svg.match(/<path d="([^"]*)"[^>]*stroke-dasharray/);
  assert(dashed, "a dashed line");
  assertEquals(dashed[1].split(/[ML]/).filter((p) => p.trim()).length, 2);
  // A round top of 0.5 over 0.42, in quarters.
  for (const text of ["amplitude R-factor", ">0.5<", ">0.25<", ">0<"]) {
    assert(svg.includes(text), `has ${text}`);
  }
  assert(!convergenceSvg([1e6, 2e5]).includes("R-factor"), "no axis without R-factors");
});

Deno.test("reportJson() refuses a report missing a required field and nulls NaN", () => {
  const r = report([3, NaN]);
  assertEquals(JSON.parse(reportJson(r)).loss_values, [3, null]);
  const partial: Partial<Report> = { ...r };
  delete partial.host_rss_bytes_peak;
  const error = assertThrows(() => reportJson(partial as Report), TypeError);
  assert(error.message.includes("host_rss_bytes_peak"), error.message);
});

Deno.test("writeResults() writes every result file and only those, product readable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await writeFixture(`${dir}/scan.cxi`, { count: 9, frame: 16 });
    const dataset = await readCxi(`${dir}/scan.cxi`);
    dataset.frames.close();
    const [H, W] = dataset.objectShape;
    const rand = random(2);
    const object = {
      shape: [1, H, W],
      data: Float32Array.from({ length: 2 * H * W }, () => rand()),
    };
    const probe = { shape: [1, 16, 16], data: Float32Array.from({ length: 512 }, () => rand()) };
    const r = { ...report([9, 4, 2]), object_shape: [1, H, W] as [number, number, number] };
    // A stale staging directory from an interrupted run is cleaned away.
    await Deno.mkdir(`${dir}/out/.tmp-123`, { recursive: true });
    await writeResults(`${dir}/out`, { dataset, object, probe, report: r });
    const names = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort();
    assertEquals(names, [...RESULT_FILES].sort());
    const product = await readProduct(`${dir}/out/product.h5`);
    assertEquals(product.object, object);
    assertEquals(product.lossValues, new Float64Array([9, 4, 2]));
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/out/report.json`)), r);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeResults() leaves the previous results untouched when a part fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await writeFixture(`${dir}/scan.cxi`, { count: 4, frame: 8 });
    const dataset = await readCxi(`${dir}/scan.cxi`);
    dataset.frames.close();
    await Deno.mkdir(`${dir}/out`);
    await Deno.writeTextFile(`${dir}/out/report.json`, "previous run");
    // The object's data is shorter than its shape says: the product writer fails midway.
    const object = { shape: [1, 4, 4], data: new Float32Array(30).fill(1) };
    const probe = { shape: [1, 8, 8], data: new Float32Array(128).fill(1) };
    await assertRejects(() =>
      writeResults(`${dir}/out`, { dataset, object, probe, report: report([1]) })
    );
    assertEquals([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["report.json"]);
    assertEquals(await Deno.readTextFile(`${dir}/out/report.json`), "previous run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("inspectCxi() summarises the P25 file and formatSummary() tabulates it", async () => {
  const s = await inspectCxi(P25);
  assertEquals([s.frames.count, s.frames.size, s.frames.dtype], [200, 100, "int32"]);
  assertEquals(s.mask, { bad_pixels: 5 });
  assertEquals([s.clipped_negatives, s.illumination, s.ground_truth], [0, null, null]);
  assert(Math.abs(s.geometry.energy_eV - 12658) < 1, `energy ${s.geometry.energy_eV}`);
  assert(s.scan.extent_m[0] > 15e-6 && s.scan.extent_m[0] < 25e-6, "about 20 um wide");
  assert(s.intensity.max > s.intensity.meanPerPixel && s.intensity.min >= 0, "statistics");
  const table = formatSummary(s);
  for (const text of ["200 x 100 x 100 int32", "12.66 keV", "5 bad pixels", "deflate"]) {
    assert(table.includes(text), `table has ${text}:\n${table}`);
  }
});

Deno.test("inspectCxi() refuses a bad file with the reader's InputError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-io-" });
  try {
    await writeFixture(`${dir}/bad.cxi`, {
      parts: { "/entry_1/instrument_1/detector_1/distance": null },
    });
    await assertRejects(() => inspectCxi(`${dir}/bad.cxi`), InputError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
