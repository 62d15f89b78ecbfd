/**
 * The figures of the live view's tile panel (`src/io/tile_panel.ts`), from what the engine has
 * anyway: each tile's share of the cost and R-factor sums that the collectives add up (sent with
 * the workers' "stepped" events), each worker's time outside its collectives, and, when the
 * object is read back, how far neighbouring tiles' copies of their shared band differ.
 */
import type { HaloFigure, TileFigure, TileFigures, WorkerFigure } from "../io/tile_panel.ts";
import type { Tiling } from "../tiling/mod.ts";
import type { TiledEvent } from "./payload.ts";

type Stepped = Extract<TiledEvent, { type: "stepped" }>;

/**
 * The tiles' residuals and the workers' busy fractions of one step, from every worker's event
 * (under MPI every rank's, gathered: a worker is then named by its participant, r x W + w for
 * worker w of rank r with `workersPerRank` W).
 */
export function stepFigures(
  tiling: Tiling,
  objectShape: [number, number],
  events: Stepped[],
  workersPerRank = 1,
): TileFigures {
  const mpi = (e: Stepped) => e.transport === "mpi";
  const workerOf = (e: Stepped) => mpi(e) ? e.participant : e.rank;
  const rankOf = (e: Stepped) => mpi(e) ? Math.floor(e.participant / workersPerRank) : null;
  const byWorker = [...events].sort((a, b) => workerOf(a) - workerOf(b));
  const shares = byWorker.flatMap((e) => e.shares.map((s) => ({ ...s, event: e })))
    .sort((a, b) => a.tile - b.tile);
  const denominator = shares.reduce((sum, s) => sum + s.denominator, 0);
  const known = (v: number) => Number.isFinite(v) ? v : null;
  const tiles: TileFigure[] = shares.map((s) => ({
    tile: s.tile,
    core: { ...tiling.cores[s.tile] },
    worker: workerOf(s.event),
    rank: rankOf(s.event),
    cost: s.cost,
    rFactor: known(s.numerator / s.denominator),
    rShare: known(s.numerator / denominator),
  }));
  const workers: WorkerFigure[] = byWorker.map((e) => ({
    worker: workerOf(e),
    rank: rankOf(e),
    tiles: e.shares.map((s) => s.tile),
    busy: e.busy,
  }));
  return {
    transport: byWorker[0]?.transport ?? "local",
    grid: [...tiling.tiles] as [number, number],
    objectShape,
    iteration: byWorker[0]?.iteration ?? 0,
    tiles,
    workers,
    halo: null,
    haloIteration: null,
  };
}

/**
 * For each pair of tiles whose extended regions overlap, the largest and RMS modulus of the
 * difference of their object copies over the shared band (every slice), before stitching.
 * `objects` holds each tile's extended-region object (slices x height x width, complex
 * interleaved float32), as the workers send it.
 */
export function haloMismatch(
  tiling: Tiling,
  slices: number,
  objects: ReadonlyMap<number, Float32Array>,
): HaloFigure[] {
  const out: HaloFigure[] = [];
  for (const { from, to, rect } of tiling.overlaps) {
    if (from >= to) continue;
    const a = objects.get(from), b = objects.get(to);
    if (!a || !b) continue;
    const ra = tiling.regions[from], rb = tiling.regions[to];
    let max = 0, squares = 0;
    for (let s = 0; s < slices; s++) {
      for (let y = rect.y0; y < rect.y0 + rect.height; y++) {
        const rowA = (s * ra.height + y - ra.y0) * ra.width - ra.x0;
        const rowB = (s * rb.height + y - rb.y0) * rb.width - rb.x0;
        for (let x = rect.x0; x < rect.x0 + rect.width; x++) {
          const ia = 2 * (rowA + x), ib = 2 * (rowB + x);
          const re = a[ia] - b[ib], im = a[ia + 1] - b[ib + 1];
          const d2 = re * re + im * im;
          squares += d2;
          if (d2 > max) max = d2;
        }
      }
    }
    const count = slices * rect.height * rect.width;
    out.push({
      tiles: [from, to],
      band: { ...rect },
      max: Math.sqrt(max),
      rms: count > 0 ? Math.sqrt(squares / count) : 0,
    });
  }
  return out;
}
