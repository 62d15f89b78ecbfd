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

Deno.test("inspect --json of P25 with its focus distance reports the near-field cone-beam geometry", async () => {
  const args = ["inspect", P25, "--json", "--propagation", "near", "--focus-distance", "3.65e-3"];
  const run = await runTessera(args, { permissions: INSPECT });
  assertEquals(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout);
  assertEquals(s.propagation, "near");
  // 100 px of 55 um, 1.12 m behind the sample, 3.65 mm from the focus (the figures).
  const near = (value: number, want: number, relative: number) =>
    Math.abs(value / want - 1) <= relative;
  // The file stores 1.12 m as float32.
  assert(near(s.magnification, (3.65e-3 + 1.12) / 3.65e-3, 1e-6), `M = ${s.magnification}`);
  assert(near(s.geometry.object_pixel_m, 0.179e-6, 0.01), `${s.geometry.object_pixel_m} m`);
  assert(
    near(s.geometry.effective_distance_m, 3.64e-3, 0.01),
    `${s.geometry.effective_distance_m}`,
  );
  const lambda = s.geometry.wavelength_m;
  const a = 100 * s.geometry.object_pixel_m;
  assert(near(s.fresnel_number, a * a / (lambda * s.geometry.effective_distance_m), 1e-9));
  // Frames of 100 px go in a 128 px FFT window with a masked border; the object holds a 20 um
  // scan plus one window and the margins.
  assertEquals([s.frames.size, s.frames.padded_to], [100, 128]);
  for (const [i, size] of s.scan.object_shape.entries()) {
    const scan = s.scan.extent_m[1 - i] / s.geometry.object_pixel_m;
    assert(size >= scan + 128 && size <= scan + 128 + 20, `${s.scan.object_shape}`);
  }
});

Deno.test("inspect without --propagation keeps the far-field geometry of DESIGN section 1", async () => {
  const run = await runTessera(["inspect", P25, "--json"], { permissions: INSPECT });
  assertEquals(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout);
  assertEquals([s.propagation, s.magnification], ["far", 1]);
  const g = s.geometry;
  const dx = g.wavelength_m * g.distance_m / (100 * g.detector_pixel_m[0]);
  assert(Math.abs(g.object_pixel_m / dx - 1) < 1e-9, `${g.object_pixel_m} m`);
});

Deno.test("inspect --focus-distance without --propagation near is a usage error (exit 2)", async () => {
  const run = await runTessera(["inspect", P25, "--focus-distance", "3.65e-3"], {
    permissions: INSPECT,
  });
  assertEquals(run.code, 2, run.stderr);
  assert(run.stderr.includes("needs --propagation near"), run.stderr);
});
