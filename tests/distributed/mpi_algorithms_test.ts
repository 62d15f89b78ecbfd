/**
 * lsqml, dm, raar and position correction under MPI: 2 ranks of one worker give the bits of the
 * workers transport (one process, 2 workers) on the same 1 x 2 tiles, through the engine's
 * interface (`reconstruct`), so the solvers' internals may change; small sizes (frame 32, 64
 * positions, 3 iterations; position correction on positions recorded 2 px off, through the
 * search and the object's restart at iteration 1 + POSITION_RESTART_AFTER).
 */
import { assertEquals } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { reconstruct } from "../../src/engine/reconstruct.ts";
import { DEFAULT_OPTIONS, type ReconstructOptions } from "../../src/engine/options.ts";
import { POSITION_RESTART_AFTER } from "../../src/engine/positions.ts";
import { mpirun, smallScan } from "./mpi_launch.ts";

const JOB = new URL("./mpi_algorithms_job.ts", import.meta.url).pathname;

/** The runs compared, by name. */
const RUNS: Record<string, Partial<ReconstructOptions>> = {
  lsqml: { algorithm: "lsqml" },
  dm: { algorithm: "dm" },
  raar: { algorithm: "raar" },
  "gd with position correction": {
    algorithm: "gd",
    correctPositionsFrom: 1,
    iterations: POSITION_RESTART_AFTER + 3,
  },
};

Deno.test("lsqml, dm, raar and position correction give the workers transport's bits on 2 MPI ranks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpialgo-" });
  try {
    const input = await smallScan(dir);
    const shaky = await smallScan(dir, 32, 64, 2);
    const common = { input, tiles: [1, 2] as [number, number], iterations: 3 };
    const names = Object.keys(RUNS);
    const runs = names.map((name, i) => ({
      ...common,
      ...(RUNS[name].correctPositionsFrom ? { input: shaky } : {}),
      ...RUNS[name],
      out: `${dir}/mpi${i}`,
    }));
    const launch = await mpirun(2, [Deno.execPath(), "run", "-A", JOB, JSON.stringify(runs)]);
    assertEquals(launch.code, 0, launch.stderr);
    for (const [i, name] of names.entries()) {
      const out = `${dir}/workers${i}`;
      await reconstruct({ ...DEFAULT_OPTIONS, ...runs[i], out, workers: 2 }, {});
      const [mpi, workers] = await Promise.all([`${dir}/mpi${i}`, out].map(async (o) => {
        const p = await readProduct(`${o}/product.h5`);
        const report = JSON.parse(await Deno.readTextFile(`${o}/report.json`));
        return {
          object: p.object.data,
          probe: p.probe.data,
          report,
          x: p.positionX,
          y: p.positionY,
        };
      }));
      assertEquals(mpi.report.ranks, 2, name);
      assertEquals(mpi.report.loss_values, workers.report.loss_values, `${name}: costs`);
      assertEquals(mpi.object, workers.object, `${name}: object`);
      assertEquals(mpi.probe, workers.probe, `${name}: probe`);
      assertEquals([mpi.x, mpi.y], [workers.x, workers.y], `${name}: positions`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
