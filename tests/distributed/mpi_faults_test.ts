/**
 * Faults of `reconstruct --mpi` jobs under `mpirun` on loopback: a rank killed mid-run and a
 * rank that throws each end every rank within 10 s with one message naming the rank (exit status
 * 1 for a throw; for a kill 1 or hydra's 9, see the test); SIGKILL of the whole job, then `--resume` on another rank count, ends with the bits
 * of a run that was never stopped.
 */
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { mpiReconstruct, mpirun, ranksHolding, smallScan, waitFor } from "./mpi_launch.ts";
import { runTessera } from "../cli/run.ts";
import type { FaultScenario } from "./mpi_reconstruct_job.ts";

const JOB = new URL("./mpi_reconstruct_job.ts", import.meta.url).pathname;

/** Error lines of a job's output. */
function errors(text: string): string[] {
  return text.split("\n").filter((line) => line.startsWith("error: "));
}

Deno.test("an MPI rank of 2 workers killed mid-run ends every rank within 10 s, naming the rank", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpikill-" });
  try {
    const input = await smallScan(dir);
    const out = `${dir}/run`;
    let killedAt = 0;
    const launch = await mpirun(2, [
      "deno",
      "task",
      "--quiet",
      "reconstruct:mpi",
      "-i",
      input,
      "-o",
      out,
      "-a",
      "cg",
      "--tiles",
      "2x2",
      "--workers",
      "2",
      "-n",
      "10000",
      "--checkpoint-every",
      "1",
      "-q",
    ], async () => {
      await waitFor(`${out}/checkpoint/state.tsck`);
      const rank1 = (await ranksHolding(dir)).find((r) => r.rank === 1);
      assert(rank1, "rank 1 is running");
      killedAt = performance.now();
      Deno.kill(rank1.pid, "SIGKILL");
    });
    const seconds = (performance.now() - killedAt) / 1000;
    assertLessOrEqual(seconds, 10);
    // The killed rank's launcher exits 1; mpirun ends with the status it learns first: 1 when
    // the other rank fails on the broken connection before hydra kills it, else that kill's 9.
    assert([1, 9].includes(launch.code), `status ${launch.code}: ${launch.stderr}`);
    assertEquals(
      errors(launch.stderr),
      ["error: Rank 1 was killed by SIGKILL; the job ends"],
      launch.stderr,
    );
    assertEquals(await ranksHolding(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an MPI rank that throws ends every rank within 10 s, exit status 1, naming rank, worker and tiles", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpithrow-" });
  try {
    const input = await smallScan(dir);
    const scenario: FaultScenario = {
      options: { input, out: `${dir}/run`, algorithm: "cg", tiles: [2, 2], iterations: 10000 },
      failRank: 1,
      failAt: 3,
      failedMark: `${dir}/failed`,
    };
    const launch = await mpirun(2, [Deno.execPath(), "run", "-A", JOB, JSON.stringify(scenario)]);
    const ended = Date.now();
    assertEquals(launch.code, 1, launch.stderr);
    const lines = errors(launch.stderr);
    assertEquals(lines, ["error: Rank 1, worker 0 (tiles 2, 3) threw: a planned failure"]);
    const failedAt = Number(await Deno.readTextFile(`${dir}/failed`));
    assertLessOrEqual((ended - failedAt) / 1000, 10);
    assertEquals(await ranksHolding(dir, "mpi_reconstruct_job.ts"), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an MPI job killed with SIGKILL resumes on another rank count to the bits of an unstopped run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpiresume-" });
  try {
    const input = await smallScan(dir);
    const args = (out: string) => [
      "-i",
      input,
      "-o",
      out,
      "-a",
      "cg",
      "--tiles",
      "2x2",
      "-n",
      "12",
      "--checkpoint-every",
      "2",
      "--refine-probe-from",
      "3",
      "-q",
    ];
    const straight = await runTessera([
      "reconstruct",
      ...args(`${dir}/straight`),
      "--workers",
      "2",
    ]);
    assertEquals(straight.code, 0, straight.stderr);
    const out = `${dir}/killed`;
    const killed = await mpiReconstruct(2, args(out), async () => {
      await waitFor(`${out}/checkpoint/state.tsck`);
      const ranks = await ranksHolding(out);
      assertEquals(ranks.map((r) => r.rank), [0, 1]);
      for (const { pid } of ranks) Deno.kill(pid, "SIGKILL");
    });
    assert(killed.code !== 0, "the killed job must fail");
    assert(!await Deno.stat(`${out}/report.json`).then(() => true, () => false), "no report");
    const resumed = await mpiReconstruct(4, ["--resume", out, "-q"]);
    assertEquals(resumed.code, 0, resumed.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
    const reference = JSON.parse(await Deno.readTextFile(`${dir}/straight/report.json`));
    assert(report.resumed_from_iteration > 0, "the run continued from a checkpoint");
    assertEquals(report.ranks, 4);
    assertEquals(report.loss_values, reference.loss_values);
    const object = async (at: string) => (await readProduct(`${at}/product.h5`)).object.data;
    assertEquals(await object(out), await object(`${dir}/straight`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
