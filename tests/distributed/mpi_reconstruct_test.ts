/**
 * `reconstruct --mpi` under `mpirun` on loopback: the same 2 x 2 tiles on 2 and 4 ranks (one
 * worker each) give the bits the 4 workers of one process give, within 1e-5 of the untiled run after 20 iterations
 * from the default start on the acceptance set (frame 64, 400 positions; cg, and gd refining
 * the probe from iteration 10); rank 0 alone writes.
 */
import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { runTessera } from "../cli/run.ts";
import { mpiReconstruct, smallScan } from "./mpi_launch.ts";

/**
 * The arguments every run shares: 20 iterations; gd also refines the probe from iteration 10.
 * (cg with the probe refined is 1.05e-5 from one device after 20 iterations on tiles, on
 * workers as on ranks: over what tiles may differ, so cg keeps the probe here.)
 */
function common(input: string, out: string, algorithm: string): string[] {
  const probe = algorithm === "gd" ? ["--refine-probe-from", "10"] : [];
  return ["-i", input, "-o", out, "-n", "20", "-a", algorithm, ...probe];
}

async function product(out: string) {
  const p = await readProduct(`${out}/product.h5`);
  return { object: p.object.data, probe: p.probe.data };
}

for (const algorithm of ["gd", "cg"]) {
  const what = algorithm === "gd" ? "gd with probe refinement" : "cg";
  Deno.test(`${what} on 2 x 2 tiles gives the same bits on 2 and 4 MPI ranks as on 4 workers, within 1e-5 of one device`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tessera-mpi-" });
    try {
      // Frame 64 and 400 positions: on fewer, tiles differ from one device by more than 1e-5
      // whatever the transport (2e-3 at frame 32 and 64 positions, 2e-5 at 200).
      const input = await smallScan(dir, 64, 400);
      const untiled = await runTessera([
        "reconstruct",
        ...common(input, `${dir}/untiled`, algorithm),
        "--quiet",
      ]);
      assertEquals(untiled.code, 0, untiled.stderr);
      const workers = await runTessera([
        "reconstruct",
        ...common(input, `${dir}/workers`, algorithm),
        "--tiles",
        "2x2",
        "--workers",
        "4",
        "--quiet",
      ]);
      assertEquals(workers.code, 0, workers.stderr);
      const reference = await product(`${dir}/workers`);
      const whole = await product(`${dir}/untiled`);
      assertLessOrEqual(relativeL2(reference.object, whole.object), 1e-5, "object");
      assertLessOrEqual(relativeL2(reference.probe, whole.probe), 1e-5, "probe");
      const losses = JSON.parse(await Deno.readTextFile(`${dir}/workers/report.json`)).loss_values;
      for (const ranks of [2, 4]) {
        const out = `${dir}/ranks${ranks}`;
        const launch = await mpiReconstruct(ranks, [
          ...common(input, out, algorithm),
          "--tiles",
          "2x2",
        ]);
        assertEquals(launch.code, 0, launch.stderr);
        // Rank 0 alone prints: one line naming the results.
        assertEquals(launch.stdout.trim().split("\n").length, 1, launch.stdout);
        const got = await product(out);
        assertEquals(got.object, reference.object, `object on ${ranks} ranks`);
        assertEquals(got.probe, reference.probe, `probe on ${ranks} ranks`);
        const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
        assertEquals(report.loss_values, losses, `costs on ${ranks} ranks`);
        assertEquals(report.ranks, ranks);
        assertEquals(report.device_bytes_peak_per_rank.length, ranks);
        assertEquals(report.host_rss_bytes_peak_per_rank.length, ranks);
        assert(report.device_bytes_peak_per_rank.every((b: number) => b > 0));
        assert(report.host_rss_bytes_peak_per_rank.every((b: number) => b > 0));
        assertEquals(report.permissions.ffi, true);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
