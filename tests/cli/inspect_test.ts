import { assert, assertEquals } from "../assert.ts";
import { runTessera, taskPermissions } from "./run.ts";

const P25 = "tests/data/PETRAIII_P25_Near_Field_Ptycho.cxi";
const INSPECT = taskPermissions("inspect");

Deno.test("inspect summarises a real beamline file as a table, with read permission only", async () => {
  const run = await runTessera(["inspect", P25], { permissions: INSPECT });
  assertEquals(run.code, 0, run.stderr);
  assert(/^frames\s+200 x 100 x 100 int32/m.test(run.stdout), run.stdout);
  assert(/^mask\s+5 bad pixels/m.test(run.stdout), run.stdout);
});

Deno.test("inspect --json prints one JSON object and nothing else", async () => {
  const run = await runTessera(["inspect", P25, "--json"], { permissions: INSPECT });
  assertEquals(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assertEquals(summary.frames.count, 200);
  assertEquals(summary.frames.size, 100);
  assertEquals(summary.illumination, null);
});

Deno.test("inspect of a file that is not HDF5 exits 2 with one paragraph naming it", async () => {
  const run = await runTessera(["inspect", "README.md"], { permissions: INSPECT });
  assertEquals(run.code, 2, run.stderr);
  assertEquals(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
  assert(run.stderr.startsWith("error: Cannot read README.md: it is not an HDF5 file"));
});
