/**
 * Position correction's search under MPI: a position recorded 8.5 px off (an outlier that
 * gradient steps of half a pixel leave in a wrong local fit) is brought back by the search before
 * the object's restart, and 1 and 2 ranks give the same bits on the same 1 x 2 tiles (frame 32,
 * 64 positions recorded 0.5 px RMS off, so that the outlier's frame stands out from the rest;
 * cg, correction from iteration 1).
 */
import { assert, assertEquals, assertLessOrEqual } from "../assert.ts";
import { readProduct } from "../../src/io/product.ts";
import { writeCxi } from "../../src/io/cxi_writer.ts";
import { simulateDataset } from "../../src/simulate/mod.ts";
import type { ReconstructOptions } from "../../src/engine/options.ts";
import { POSITION_RESTART_AFTER } from "../../src/engine/positions.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { mpirun } from "./mpi_launch.ts";

const JOB = new URL("./mpi_algorithms_job.ts", import.meta.url).pathname;

/**
 * Frame 32, 64 positions recorded 0.5 px RMS off, and the position nearest the scan's centre
 * recorded 6 px further on each axis (8.5 px away); returns the data set and that position.
 */
async function outlierScan(): Promise<{ dataset: Dataset; outlier: number }> {
  const { dataset } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 64,
    seed: 3,
    positionError: 0.5,
  });
  const truth = dataset.truePositions!;
  const n = dataset.count;
  const cy = truth.y.reduce((a, v) => a + v, 0) / n, cx = truth.x.reduce((a, v) => a + v, 0) / n;
  let outlier = 0;
  for (let j = 1; j < n; j++) {
    const d = (k: number) => Math.hypot(truth.y[k] - cy, truth.x[k] - cx);
    if (d(j) < d(outlier)) outlier = j;
  }
  const dx = dataset.geometry.objectPixel;
  const positionsY = dataset.positionsY.slice(), positionsX = dataset.positionsX.slice();
  const translations = dataset.translations.slice();
  for (
    const [axis, recorded, exact] of [[0, positionsX, truth.x], [1, positionsY, truth.y]] as const
  ) {
    const moved = exact[outlier] + (recorded[outlier] < exact[outlier] ? -6 : 6);
    // The translations (metres) are the positions (object pixels) offset: both move alike.
    translations[2 * outlier + axis] += (moved - recorded[outlier]) * dx;
    recorded[outlier] = moved;
  }
  return { dataset: { ...dataset, positionsY, positionsX, translations }, outlier };
}

Deno.test("the search brings an outlier back under MPI, with the same bits on 1 and 2 ranks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tessera-mpisearch-" });
  try {
    const { dataset, outlier } = await outlierScan();
    const input = `${dir}/outlier.cxi`;
    await writeCxi(input, dataset);
    // The search runs before iteration 1 + POSITION_RESTART_AFTER: a run that stops just before
    // it and one that stops just after it (no gradient step follows: correction waits).
    const lengths = [1 + POSITION_RESTART_AFTER, 2 + POSITION_RESTART_AFTER];
    const products = [];
    for (const ranks of [1, 2]) {
      const runs: Array<Partial<ReconstructOptions>> = lengths.map((iterations, i) => ({
        input,
        iterations,
        algorithm: "cg",
        correctPositionsFrom: 1,
        tiles: [1, 2],
        out: `${dir}/ranks${ranks}_${i}`,
      }));
      const launch = await mpirun(ranks, [Deno.execPath(), "run", "-A", JOB, JSON.stringify(runs)]);
      assertEquals(launch.code, 0, `${ranks} rank(s): ${launch.stderr}`);
      products.push(
        await Promise.all(runs.map(async (r) => {
          const p = await readProduct(`${r.out}/product.h5`);
          const report = JSON.parse(await Deno.readTextFile(`${r.out}/report.json`));
          assertEquals(report.ranks, ranks);
          return { ...p, losses: report.loss_values as number[] };
        })),
      );
    }
    for (const [i, one] of products[0].entries()) {
      const two = products[1][i];
      const run = `the run of ${lengths[i]} iterations`;
      assertEquals(two.losses, one.losses, `${run}: costs`);
      assertEquals(two.object.data, one.object.data, `${run}: object`);
      assertEquals(two.probe.data, one.probe.data, `${run}: probe`);
      assertEquals(
        [two.positionX, two.positionY],
        [one.positionX, one.positionY],
        `${run}: positions`,
      );
    }
    // The outlier's error (object pixels) with the common shift of all positions removed.
    const truth = dataset.truePositions!;
    const dx = dataset.geometry.objectPixel;
    const n = dataset.count;
    const errorOf = (p: { positionX: Float64Array; positionY: Float64Array }) => {
      // Product positions are the translations moved: back to object pixels.
      const at = (axis: 0 | 1, j: number) =>
        (axis ? dataset.positionsY : dataset.positionsX)[j] +
        ((axis ? p.positionY : p.positionX)[j] - dataset.translations[2 * j + axis]) / dx;
      const offset = (axis: 0 | 1, j: number) => at(axis, j) - (axis ? truth.y : truth.x)[j];
      const mean = (axis: 0 | 1) =>
        Array.from({ length: n }, (_, j) => offset(axis, j)).reduce((a, v) => a + v, 0) / n;
      const [mx, my] = [mean(0), mean(1)];
      return Math.hypot(offset(0, outlier) - mx, offset(1, outlier) - my);
    };
    const [before, after] = products[0].map(errorOf);
    // A step moves a position 0.5 px at most: from 1.5 px off it would end 1 px off at least.
    // The search moves by whole pixels, keeping the sub-pixel part: within half a pixel per axis.
    assert(before > 1.5, `before the search: ${before} px`);
    assertLessOrEqual(after, 0.75, `after the search: ${after} px (before: ${before} px)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
