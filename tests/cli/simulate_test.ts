import { assert, assertEquals } from "../assert.ts";
import { readCxi } from "../../src/io/cxi_reader.ts";
import { runTessera, taskPermissions } from "./run.ts";

Deno.test("simulate writes a CXI file the reader opens, with its ground truth", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sub/star.cxi`;
  const run = await runTessera(
    ["simulate", "--preset", "siemens", "--out", file, "--frame", "32", "--positions", "20"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  assert(run.stdout.startsWith(`Wrote ${file}: siemens, 20 positions of 32 x 32`), run.stdout);
  const dataset = await readCxi(file);
  try {
    assertEquals(dataset.count, 20);
    assertEquals(dataset.frame, 32);
    assertEquals(dataset.groundTruth?.shape, [1, ...dataset.objectShape]);
  } finally {
    dataset.frames.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("simulate --preset smooth --step --without-probe writes a file with no initial probe and the asked spacing", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/smooth.cxi`;
  const args = ["simulate", "--preset", "smooth", "--out", file, "--frame", "32", "--positions"];
  const run = await runTessera(
    [...args, "20", "--step", "5", "--without-probe"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  const dataset = await readCxi(file);
  try {
    assertEquals(dataset.illumination, null);
    // Point n of the spiral sits at radius step sqrt(n): point 4 is 2 steps from point 0.
    const r = Math.hypot(
      dataset.positionsX[4] - dataset.positionsX[0],
      dataset.positionsY[4] - dataset.positionsY[0],
    );
    assert(Math.abs(r - 10) < 1e-6, `${r}`);
  } finally {
    dataset.frames.close();
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("simulate refuses an --out it may not write before computing anything", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runTessera(
    ["simulate", "--preset", "siemens", "--out", "/forbidden/star.cxi"],
    { permissions: taskPermissions("simulate", dir) },
  );
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.startsWith("error: Cannot write /forbidden/star.cxi: permission denied."));
  assert(run.stderr.includes("--allow-write="), run.stderr);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("simulate rejects a frame size that is not a power of two (exit 2)", async () => {
  const run = await runTessera([
    "simulate",
    "--preset",
    "siemens",
    "--out",
    "x.cxi",
    "--frame",
    "48",
  ]);
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.trimEnd().endsWith("Expected a power of two >= 8, such as 64 or 128."));
});
