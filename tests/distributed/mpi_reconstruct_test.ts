/**
 * `reconstruct --mpi` under `mpirun` on loopback: the same 2 x 2 tiles on 1 rank of 4 workers,
 * 2 ranks of 2 and 4 ranks of 1 give the same bits, within 1e-5 of the untiled run after 20
 * iterations from the default start on the acceptance set (frame 64, 400 positions; gd and cg, both
 * refining the probe from iteration 10); rank 0 alone writes.
 */
import { assert, assertEquals, assertLessOrEqual, relativeL2 } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { runTessera } from "../cli/run.ts";
import { mpiReconstruct, smallScan } from "./mpi_launch.ts";

/** The arguments every run shares: 20 iterations, the probe refined from iteration 10. */
function common(input: string, out: string, algorithm: string): string[] {
  return ["-i", input, "-o", out, "-n", "20", "-a", algorithm, "--refine-probe-from", "10"];
}

async function product(out: string) {
  const p = await readProduct(`${out}/product.h5`);
  return { object: p.object.data, probe: p.probe.data };
}

for (const algorithm of ["gd", "cg"]) {
  const what = `${algorithm} with probe refinement`;
  Deno.test(`${what} on 2 x 2 tiles gives the same bits on 1 rank x 4 workers, 2 x 2 and 4 x 1, within 1e-5 of one device`, async () => {
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
      const whole = await product(`${dir}/untiled`);
      let reference: { object: Float32Array; probe: Float32Array } | null = null;
      let losses: number[] = [];
      for (const [ranks, workers] of [[1, 4], [2, 2], [4, 1]]) {
        const out = `${dir}/ranks${ranks}`;
        const launch = await mpiReconstruct(ranks, [
          ...common(input, out, algorithm),
          "--tiles",
          "2x2",
          "--workers",
          String(workers),
        ]);
        const which = `${ranks} rank(s) x ${workers} worker(s)`;
        assertEquals(launch.code, 0, `${which}: ${launch.stderr}`);
        // Rank 0 alone prints: one line naming the results.
        assertEquals(launch.stdout.trim().split("\n").length, 1, launch.stdout);
        const got = await product(out);
        const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
        if (!reference) {
          reference = got;
          losses = report.loss_values;
          assertLessOrEqual(relativeL2(got.object, whole.object), 1e-5, "object");
          assertLessOrEqual(relativeL2(got.probe, whole.probe), 1e-5, "probe");
        }
        assertEquals(got.object, reference.object, `object on ${which}`);
        assertEquals(got.probe, reference.probe, `probe on ${which}`);
        assertEquals(report.loss_values, losses, `costs on ${which}`);
        assertEquals(report.ranks, ranks);
        assertEquals(report.device_bytes_peak_per_worker.length, 4);
        assertEquals(report.device_bytes_peak_per_rank.length, ranks);
        assertEquals(report.host_rss_bytes_peak_per_rank.length, ranks);
        assert(report.device_bytes_peak_per_worker.every((b: number) => b > 0));
        assert(report.host_rss_bytes_peak_per_rank.every((b: number) => b > 0));
        assertEquals(report.permissions.ffi, true);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
