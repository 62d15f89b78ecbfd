/**
 * One rank of the test of every solver under MPI (`mpi_algorithms_test.ts`), started by
 * `mpirun`: runs `reconstruct` once per run given as JSON in its first argument (options each),
 * one after the other in this process, as a rank of the job.
 */
import { MpiWorld } from "../../src/distributed/mpi/mod.ts";
import { reconstruct } from "../../src/engine/reconstruct.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";

if (import.meta.main) {
  const runs = JSON.parse(Deno.args[0]) as Array<Partial<ReconstructOptions>>;
  const mpi = MpiWorld.init();
  for (const options of runs) await reconstruct({ ...DEFAULT_OPTIONS, ...options }, { mpi });
  await mpi.finalize();
}
