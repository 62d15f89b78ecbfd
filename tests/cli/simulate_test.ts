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
