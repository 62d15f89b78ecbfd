/**
 * What an MPI rank reads: on 2 and 4 ranks over the same 2 x 2 tiles, each rank reads its own
 * tiles' frames and no other (twice each: once for the mean frame the initial probe is estimated
 * from, once onto its device), and the estimated probe has the same bits whatever the rank count
 * (the mean frame's sums are taken per tile and added in tile order, and so are the defocus
 * search's frames, each in its own slot).
 */
import { assertEquals } from "../assert.ts";
import { mpirun, smallScan } from "./mpi_launch.ts";
import type { FramesOutcome } from "./mpi_frames_job.ts";

const JOB = new URL("./mpi_frames_job.ts", import.meta.url).pathname;

Deno.test("each MPI rank reads only its tiles' frames, and the estimated probe's bits do not depend on the rank count", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpiframes-" });
  try {
    const input = await smallScan(dir);
    let probe: string | null = null;
    for (const ranks of [2, 4]) {
      const launch = await mpirun(ranks, [Deno.execPath(), "run", "-A", JOB, input]);
      assertEquals(launch.code, 0, launch.stderr);
      const outcome = JSON.parse(launch.stdout) as FramesOutcome;
      assertEquals(outcome.read.length, ranks);
      const everyone = outcome.mine.flat().sort((a, b) => a - b);
      assertEquals(everyone, Array.from({ length: 64 }, (_, j) => j), "tiles hold every position");
      for (const [rank, read] of outcome.read.entries()) {
        const twice = [...outcome.mine[rank], ...outcome.mine[rank]].sort((a, b) => a - b);
        assertEquals(read, twice, `frames read by rank ${rank} of ${ranks}`);
      }
      probe ??= outcome.probe;
      assertEquals(outcome.probe, probe, `probe on ${ranks} ranks`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
