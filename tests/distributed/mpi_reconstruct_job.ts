/**
 * One rank of the test of a rank that throws (`mpi_faults_test.ts`), started by `mpirun`: runs
 * `reconstruct` with the options given as JSON in its first argument, and on rank `failRank`
 * throws from the iteration hook at iteration `failAt`, as a failure inside a rank's run would.
 */
import { MpiWorld } from "../../src/distributed/mpi/mod.ts";
import { reconstruct } from "../../src/engine/reconstruct.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";

export interface FaultScenario {
  options: Partial<ReconstructOptions>;
  failRank: number;
  failAt: number;
  /** A file the failing rank writes the time of its failure to (ms since the epoch). */
  failedMark: string;
}

if (import.meta.main) {
  const s = JSON.parse(Deno.args[0]) as FaultScenario;
  const mpi = MpiWorld.init();
  await reconstruct({ ...DEFAULT_OPTIONS, ...s.options }, {
    mpi,
    onIteration: (event) => {
      if (mpi.rank === s.failRank && event.iteration === s.failAt) {
        Deno.writeTextFileSync(s.failedMark, String(Date.now()));
        throw new Error("a planned failure");
      }
    },
  });
  await mpi.finalize();
}
