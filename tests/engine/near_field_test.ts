import { assert, assertEquals, assertGreaterOrEqual, assertLessOrEqual } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";
import { writeCxi } from "../../src/io/cxi_writer.ts";
import { simulateDataset } from "../../src/simulate/mod.ts";

/** Simulates the near-field preset (frame 32, 40 positions) into `dir`. */
async function simulate(dir: string, name: string, extra: string[] = []): Promise<string> {
  const file = `${dir}/${name}.cxi`;
  const args = ["simulate", "--preset", "nearfield", "--out", file, "--frame", "32"];
  const run = await runTessera([...args, "--positions", "40", ...extra]);
  assertEquals(run.code, 0, run.stderr);
  return file;
}

/**
 * Reconstructs `input` in near field with `algorithm` (cg, the solver these floors were set for,
 * unless named) and returns its report.
 */
async function reconstruct(dir: string, input: string, extra: string[], algorithm = "cg") {
  const out = `${input}.out`;
  const run = await runTessera(
    ["reconstruct", "-i", input, "-o", out, "-a", algorithm, "--propagation", "near", "--json"]
      .concat(extra),
    { permissions: taskPermissions("reconstruct", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

Deno.test("simulate --preset nearfield reconstructs in near field to phase PSNR >= 30 dB with its probe known", async () => {
  const dir = await Deno.makeTempDir();
  const report = await reconstruct(dir, await simulate(dir, "known"), ["-n", "40"]);
  assertGreaterOrEqual(report.metrics.phase_psnr_db, 30, "phase PSNR");
  assertEquals(report.probe_mode_power, [1]);
  // The R-factor beside every cost, falling as the cost does.
  const r: number[] = report.r_factor_values;
  assertEquals(r.length, report.loss_values.length);
  for (const v of r) assert(Number.isFinite(v) && v >= 0, `${r}`);
  assert(r[r.length - 1] < 0.5 * r[0], `${r}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("near field with the probe estimated from the data and refined reaches phase PSNR >= 27 dB", async () => {
  const dir = await Deno.makeTempDir();
  const input = await simulate(dir, "unknown", ["--without-probe"]);
  const report = await reconstruct(dir, input, ["-n", "60"]);
  assertGreaterOrEqual(report.metrics.phase_psnr_db, 27, "phase PSNR");
  assertEquals(report.probe_rescale, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a probe file scaled by 1e3 or by 1/N (another FFT norm) reconstructs to the same PSNR", async () => {
  const dir = await Deno.makeTempDir();
  const { dataset } = await simulateDataset({ preset: "nearfield", frame: 32, positions: 40 });
  const truth = dataset.illumination!.data;
  const results: number[] = [];
  const rescales: number[] = [];
  for (const [name, scale] of [["one", 1], ["thousand", 1e3], ["fft", 1 / (32 * 32)]] as const) {
    dataset.illumination = { shape: [1, 32, 32], data: truth.map((v) => v * scale) };
    const file = `${dir}/${name}.cxi`;
    await writeCxi(file, dataset);
    const report = await reconstruct(dir, file, ["-n", "15"]);
    results.push(report.metrics.phase_psnr_db);
    rescales.push(report.probe_rescale * scale);
  }
  dataset.frames.close();
  // The same start up to float32 rounding of the scaled file: the same reconstruction.
  for (const psnr of results) assertLessOrEqual(Math.abs(psnr - results[0]), 0.05, `${results}`);
  for (const r of rescales) assertLessOrEqual(Math.abs(r / rescales[0] - 1), 1e-5, `${rescales}`);
  assertGreaterOrEqual(results[0], 25, "phase PSNR after 15 iterations");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("near field on 2x2 tiles over 2 workers follows the untiled run's costs, and rpie runs it", async () => {
  const dir = await Deno.makeTempDir();
  const input = await simulate(dir, "tiles");
  const one = await reconstruct(dir, input, ["-n", "5"]);
  await Deno.remove(`${input}.out`, { recursive: true });
  const tiled = await reconstruct(dir, input, ["-n", "5", "--tiles", "2x2", "--workers", "2"]);
  for (const [i, cost] of one.loss_values.entries()) {
    const relative = Math.abs(tiled.loss_values[i] - cost) / Math.abs(cost);
    assertLessOrEqual(relative, 1e-5, `iteration ${i}: ${tiled.loss_values[i]} vs ${cost}`);
    const r = one.r_factor_values[i];
    assertLessOrEqual(Math.abs(tiled.r_factor_values[i] - r) / r, 1e-5, `R at ${i}`);
  }
  await Deno.remove(`${input}.out`, { recursive: true });
  const pie = await reconstruct(dir, input, ["-n", "5"], "rpie");
  assertGreaterOrEqual(pie.metrics.phase_psnr_db, 25, "rpie phase PSNR");
  await Deno.remove(dir, { recursive: true });
});
