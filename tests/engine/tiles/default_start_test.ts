/**
 * Tiled equals untiled through the command a scientist runs, from its default start (a flat
 * object, the Poisson cost, the file's probe): frame 64, 400 positions, 20 iterations.
 */
import { assertEquals, assertLessOrEqual, relativeL2 } from "../../assert.ts";
import { readProduct } from "../../../src/io/product.ts";
import { runTessera, taskPermissions } from "../../cli/run.ts";

async function reconstruct(dir: string, name: string, args: string[]): Promise<Float32Array> {
  const out = `${dir}/${name}`;
  const run = await runTessera(
    ["reconstruct", "-i", `${dir}/star.cxi`, "-o", out, "-n", "20", "--quiet", ...args],
    { permissions: taskPermissions("reconstruct", dir) },
  );
  assertEquals(run.code, 0, run.stderr);
  return (await readProduct(`${out}/product.h5`)).object.data;
}

for (const algorithm of ["gd", "cg"]) {
  Deno.test(`${algorithm} from the default start on 2 x 2 tiles (4 workers) and 3 x 3 tiles (2 workers) equals one device after 20 iterations`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tessera-default-" });
    try {
      const simulate = await runTessera([
        "simulate",
        "--preset",
        "siemens",
        "--out",
        `${dir}/star.cxi`,
        "--frame",
        "64",
        "--positions",
        "400",
      ]);
      assertEquals(simulate.code, 0, simulate.stderr);
      const untiled = await reconstruct(dir, "untiled", ["-a", algorithm]);
      for (const [tiles, workers] of [["2x2", "4"], ["3x3", "2"]]) {
        const tiled = await reconstruct(dir, tiles, [
          "-a",
          algorithm,
          "--tiles",
          tiles,
          "--workers",
          workers,
        ]);
        assertLessOrEqual(relativeL2(tiled, untiled), 1e-5, `${tiles} on ${workers} workers`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
