import { assert, assertEquals } from "../assert.ts";
import { runTessera, taskPermissions } from "../cli/run.ts";

Deno.test("reconstruct --algorithm lsqml on 2 x 2 tiles and 2 workers writes its report", async () => {
  const dir = await Deno.makeTempDir();
  const input = `${dir}/star.cxi`;
  const simulate = await runTessera(
    ["simulate", "--preset", "siemens", "--out", input, "--frame", "32", "--positions", "60"],
  );
  assertEquals(simulate.code, 0, simulate.stderr);
  const out = `${dir}/lsqml`;
  const args = ["-i", input, "-o", out, "-a", "lsqml", "--tiles", "2x2", "--workers", "2"];
  const run = await runTessera(["reconstruct", ...args, "-n", "3", "--json"], {
    permissions: taskPermissions("reconstruct", dir),
  });
  assertEquals(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assertEquals(report.algorithm, "lsqml");
  assertEquals(report.loss_values.length, 4);
  assert(report.loss_values.every(Number.isFinite), JSON.stringify(report.loss_values));
  assert((await Deno.stat(`${out}/product.h5`)).size > 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lsqml with --memory-budget is a usage mistake explained in one paragraph (exit 2)", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runTessera([
    "reconstruct",
    "--algorithm",
    "lsqml",
    "--memory-budget",
    "64MB",
    "-o",
    `${dir}/x`,
    "--quiet",
  ]);
  assertEquals(run.code, 2, run.stderr);
  assert(
    run.stderr.startsWith("error: --algorithm lsqml does not run with --memory-budget"),
    run.stderr,
  );
  await Deno.remove(dir, { recursive: true });
});
