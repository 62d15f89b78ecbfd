import { assert, assertEquals } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";

Deno.test("reconstruct --tiles 2x2 --workers 2 hands over to the tiled engine and reports each worker", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "60"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/tiled`;
  const run = await runTessera(
    [
      "reconstruct",
      "-i",
      input,
      "-o",
      out,
      "--tiles",
      "2x2",
      "--workers",
      "2",
      "-n",
      "3",
      "--json",
    ],
    { permissions: taskPermissions("reconstruct", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assertEquals(report.tiles, [2, 2]);
  assertEquals(report.workers, 2);
  assertEquals(report.device_bytes_peak_per_worker.length, 2);
  assert(report.device_bytes_peak_per_worker.every((b: number) => b > 0));
  assertEquals(report.loss_values.length, 4);
  assert(/workers 2\/2$/m.test(run.stderr), run.stderr);
  assert((await Deno.stat(`${out}/product.h5`)).size > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("epie with tiles is a usage mistake explained in one paragraph (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runTessera(
    ["reconstruct", "--tiles", "2x1", "--algorithm", "epie", "-o", `${dir}/x`, "--quiet"],
  );
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.startsWith("error: --algorithm epie runs on one device only"), run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a tile grid that does not suit the data exits 2 naming the options to change", async () => {
  const dir = await Deno.makeTempDir();
  for (
    const [args, expected] of [
      [["--tiles", "1x1", "--workers", "3"], "Cannot share 1 x 1 tiles among 3 workers"],
      [["--tiles", "40x40", "--workers", "2"], "tiles would hold no scan position"],
    ] as const
  ) {
    const run = await runTessera(["reconstruct", ...args, "-o", `${dir}/x`, "--quiet"]);
    assertEquals(run.code, 2, run.stderr);
    assert(run.stderr.startsWith(`error: ${args.join(" ")} does not suit`), run.stderr);
    assert(run.stderr.includes(expected), run.stderr);
  }
  await Deno.remove(dir, { recursive: true });
});
