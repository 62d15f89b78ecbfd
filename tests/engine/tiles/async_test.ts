/**
 * `--exchange async` (halo gradient exchange, contributions at most one iteration late) against
 * `sync` on the acceptance data: the same quality in the same number of iterations, and no
 * seams along the tile borders.
 */
import type { Dataset } from "../../../src/data/mod.ts";
import { metricsOf } from "../../../src/engine/metrics.ts";
import { simulateDataset } from "../../../src/simulate/mod.ts";
import { alignPhase, scannedArea } from "../../../src/metrics/mod.ts";
import { planTiling } from "../../../src/tiling/mod.ts";
import { assert, assertLessOrEqual } from "../../assert.ts";
import { acceptanceSet, borderErrors, reconstructTiled, type Run } from "./fixture.ts";

const ITERATIONS = 20;

/**
 * A smaller star than the acceptance set (frame 32, 300 positions) for the streamed run, whose
 * tiles go through the device one at a time: measured after 20 iterations, phase SSIM 0.997 with
 * either exchange and the borders' error 0.54 times the rest's (the acceptance set: 0.984, and
 * 0.74), in less than half the time.
 */
async function smallSet(): Promise<{ dataset: Dataset; truth: Float64Array[] }> {
  const { dataset, truth } = await simulateDataset({
    preset: "siemens",
    frame: 32,
    positions: 300,
    seed: 3,
  });
  return { dataset, truth: [truth.object, truth.probe] };
}

/**
 * Runs `gd` from a flat object with sync and async exchange on `tiles` (2 workers, streamed
 * under `memoryBudget` when given): phase SSIM and the error along the inner tile borders.
 */
async function syncAndAsync(
  { dataset, truth }: { dataset: Dataset; truth: Float64Array[] },
  tiles: [number, number],
  memoryBudget: number | null,
) {
  const [h, w] = dataset.objectShape;
  const flat = new Float32Array(2 * h * w);
  for (let i = 0; i < flat.length; i += 2) flat[i] = 1;
  const base: Omit<Run, "exchange"> = {
    dataset,
    algorithm: "gd",
    slices: 1,
    modes: 1,
    noise: "poisson",
    initial: { object: flat, probe: Float32Array.from(truth[1]) },
    memoryBudget,
  };
  const results = [];
  for (const exchange of ["sync", "async"] as const) {
    const r = await reconstructTiled({ ...base, exchange }, tiles, 2, ITERATIONS);
    const mask = scannedArea({ ...dataset, objectShape: [h, w], probe: r.probe.data });
    const phases = alignPhase({
      reconstruction: r.object.data,
      truth: truth[0],
      shape: [h, w],
      mask,
    });
    const error = phases.reconstruction.map((p, i) => Math.abs(p - phases.truth[i]));
    const { cores } = planTiling({ ...dataset, tiles, workers: 2 });
    results.push({
      ssim: metricsOf(dataset, r.object, r.probe)!.phaseSsim,
      ...borderErrors(error, mask, [h, w], cores),
    });
  }
  return results;
}

/** The acceptance criteria of `--exchange async` against `sync` (see the module comment). */
function assertAsyncLikeSync(results: Awaited<ReturnType<typeof syncAndAsync>>): void {
  const [sync, async] = results;
  assert(sync.ssim > 0.9, `sync reconstructs (SSIM ${sync.ssim})`);
  assertLessOrEqual(Math.abs(async.ssim - sync.ssim), 0.01, "SSIM of async against sync");
  // A seam is an error concentrated on the tile borders: the band within 2 px of them must not
  // be worse than the rest, as the issue asks. Measured: 0.6 to 0.8 times the rest with async,
  // 0.62 with sync (the borders cross the star's well-resolved middle). The band's error is not
  // compared with sync's: it varies from run to run with how many contributions arrive a round
  // late (0.0060 to 0.0083 in seven runs, sync 0.0064), which is what async means.
  assertLessOrEqual(sync.border, sync.elsewhere, "sync error along tile borders");
  assertLessOrEqual(async.border, async.elsewhere, "async error along tile borders");
}

Deno.test("async exchange on 2 x 2 tiles reaches sync's phase SSIM (within 0.01) with no seams", async () => {
  assertAsyncLikeSync(await syncAndAsync(await acceptanceSet(), [2, 2], null));
});

Deno.test("async exchange on 3 x 3 tiles streamed by 2 workers reaches sync's phase SSIM (within 0.01) with no seams", async () => {
  // One tile of the small set needs 1.4 MiB of device memory; any budget streams the tiles.
  assertAsyncLikeSync(await syncAndAsync(await smallSet(), [3, 3], 4 * 2 ** 20));
});
