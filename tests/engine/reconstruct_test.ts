import { assert, assertEquals, assertGreaterOrEqual } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";

/** Every field DESIGN section 4 requires of report.json. */
const REPORT_FIELDS = [
  "algorithm",
  "iterations",
  "tiles",
  "workers",
  "exchange",
  "slices",
  "positions",
  "frame",
  "object_shape",
  "adapter",
  "loss_values",
  "seconds_total",
  "seconds_per_iteration",
  "device_bytes_peak_per_worker",
  "host_rss_bytes_peak",
  "metrics",
];

Deno.test("reconstruct --json prints report.json with every DESIGN field and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "30"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/result`;
  const run = await runTessera(
    ["reconstruct", "-i", input, "-o", out, "--iterations", "6", "--algorithm", "gd", "--json"],
    { permissions: taskPermissions("reconstruct", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  for (const field of REPORT_FIELDS) assert(field in report, `report.json lacks ${field}`);
  assertEquals(report, JSON.parse(await Deno.readTextFile(`${out}/report.json`)));
  assertEquals(report.algorithm, "gd");
  assertEquals(report.iterations, 6);
  assertEquals(report.loss_values.length, 7);
  assertEquals(report.positions, 30);
  assertEquals(report.frame, 32);
  assertEquals(report.tiles, [1, 1]);
  assertEquals(report.device_bytes_peak_per_worker.length, 1);
  assertGreaterOrEqual(report.device_bytes_peak_per_worker[0], 30 * 32 * 32 * 4);
  assertGreaterOrEqual(report.host_rss_bytes_peak, 1);
  assert(report.loss_values[6] < report.loss_values[0], "the cost decreases");
  for (
    const file of ["product.h5", "object_phase.png", "object_amplitude.png", "probe.png"]
  ) {
    assert((await Deno.stat(`${out}/${file}`)).size > 0, file);
  }
  assert((await Deno.readTextFile(`${out}/convergence.svg`)).startsWith("<svg"));
  // Progress went to stderr as plain lines (not a terminal), one per iteration.
  assertEquals(run.stderr.match(/^iteration \d+\/6 /gm)?.length, 6, run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reconstruct names the output directory on stdout, and --quiet prints nothing else", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "20"],
  );
  const run = await runTessera(
    ["reconstruct", "-i", input, "-o", `${dir}/r`, "--iterations", "2", "--quiet"],
  );
  assertEquals(run.code, 0, run.stderr);
  assertEquals(run.stderr, "");
  assert(run.stdout.startsWith(`Results in ${dir}/r/`), run.stdout);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("reconstruct refuses an output directory the task may not write, before computing", async () => {
  const run = await runTessera(
    ["reconstruct", "--out", "/forbidden/run", "--quiet"],
    { permissions: taskPermissions("reconstruct") },
  );
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.startsWith("error: Cannot write /forbidden/run: permission denied."));
});
