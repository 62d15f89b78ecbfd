/**
 * The reconstruction pipeline of `tessera reconstruct`: input, session (one device or the tiled
 * engine), the iteration loop with progress, checkpoints and Ctrl-C, then the outputs. Under MPI
 * (`reconstruct --mpi`) every rank runs this pipeline in step; rank 0 alone writes.
 */
import { InputError } from "../data/errors.ts";
import type { MpiWorld } from "../distributed/mpi/mod.ts";
import {
  type Checkpoint,
  checkpointDirectory,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { loadInput } from "./input.ts";
import { RssPeak } from "./memory.ts";
import { requireWritable } from "./permissions.ts";
import { grantsFor, grantsInForce, type GrantSources } from "./grants.ts";
import type { ComplexArray } from "../data/dataset.ts";
import { outputDirectory, type ReconstructOptions } from "./options.ts";
import { buildReport, type Report } from "./report.ts";
import { openSession } from "./open.ts";
import { orthogonalModes } from "./probe_modes.ts";
import type { RunFacts, Session } from "./session.ts";
import { writeOutputs } from "./outputs.ts";
import { metricsOf } from "./metrics.ts";
import { rankZeroAsks, SnapshotTurn } from "./rank_view.ts";
import type { Dataset } from "../data/dataset.ts";
import type { TileFigures } from "../io/tile_panel.ts";

/** One finished iteration as the engine reports it. */
export interface IterationInfo {
  /** Iteration number, from 0. */
  iteration: number;
  /** Iterations of the whole run (including those done before a resume). */
  total: number;
  cost: number;
  /** The amplitude R-factor beside the cost (NaN when the session does not know it). */
  rFactor: number;
  /** Wall time of this iteration in seconds. */
  seconds: number;
  /** Workers that computed during this iteration, and all workers (every rank's under MPI). */
  busy: number;
  workers: number;
  /**
   * A tiled run's panel: each tile's share of the cost and R-factor, each worker's (or rank's)
   * busy fraction over this iteration; null for one tile. Its halo mismatch comes with
   * {@link snapshot}, which reads the tiles back anyway.
   */
  tiles: TileFigures | null;
  /**
   * Reads the current object and probe back from the device(s). It costs a device readback, so
   * a caller asks only when it shows them; the run waits for the hook before going on.
   */
  snapshot: () => Promise<Snapshot>;
}

/** The reconstruction as it stands after an iteration. */
export interface Snapshot {
  object: ComplexArray;
  probe: ComplexArray;
  /** Object pixel size in metres (for scale bars). */
  pixelSize: number;
  /** The tile panel with the halo mismatch of this object's tiles (null for one tile). */
  tiles: TileFigures | null;
}

/** How a caller follows and controls a run. */
export interface RunHooks {
  /** Called after each iteration; the next one starts once a returned promise settles. */
  onIteration?: (event: IterationInfo) => void | Promise<void>;
  /** Human-readable milestones (input read, device chosen, checkpoint written). */
  log?: (line: string) => void;
  /** When aborted, the run finishes its iteration, writes a checkpoint and stops. */
  signal?: AbortSignal;
  /**
   * Whether a page is watching the run now (the live view's). Under MPI every rank gives it or
   * none, and rank 0's answer counts: while it is true, every rank's tile figures go to rank 0
   * after each step for `onIteration`; with it, rank 0's hook alone takes snapshots, and the
   * others take part when it does.
   */
  watching?: () => boolean;
  /** The grants a run derives from its command line beyond its options (for the report). */
  grants?: Pick<GrantSources, "config" | "serve">;
  /**
   * This process's place in an MPI job, or null for a run in one process. Every rank calls
   * {@link reconstruct} with the same options; rank 0 alone logs and writes the outputs and
   * checkpoints, whose results it gathers from the others; `onIteration` runs on every rank
   * (a snapshot is collective: every rank takes it, or none, unless `watching` is given); Ctrl-C
   * counts as rank 0 sees it.
   * A rank that fails prints one message naming it and ends the job (`MPI_Abort`): status 1,
   * or 2 for an input error.
   */
  mpi?: MpiWorld | null;
}

/** What a run produced. */
export interface RunResult {
  out: string;
  report: Report;
  /** True when the signal stopped the run before its last iteration. */
  interrupted: boolean;
}

/** Runs a reconstruction end to end and writes its outputs into the output directory. */
export async function reconstruct(
  requested: ReconstructOptions,
  hooks: RunHooks = {},
): Promise<RunResult> {
  const mpi = hooks.mpi ?? null;
  if (!mpi) return await reconstructHere(requested, hooks, null);
  const where: RankPlace = { tiles: null, workers: requested.workers };
  try {
    return await reconstructHere(requested, hooks, where);
  } catch (error) {
    return await abortRank(mpi, where, error);
  }
}

/** What a rank's failure message names: its tiles, once its session holds them. */
interface RankPlace {
  tiles: readonly number[] | null;
  /** Workers of the rank: with one, the rank's main thread is its worker. */
  workers: number;
}

/**
 * Ends an MPI job from a rank that failed, with one message naming the rank, its worker and its
 * tiles. An input error (status 2) is usually every rank's: rank 0 tells it, the others wait a
 * moment so that theirs is not printed again.
 */
async function abortRank(mpi: MpiWorld, where: RankPlace, error: unknown): Promise<never> {
  const input = error instanceof InputError;
  if (input && mpi.rank !== 0) await new Promise((resolve) => setTimeout(resolve, 2000));
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === "WorkerFailedError") {
    // The pool's message names the worker and its tiles: "Worker 1 (tiles 2, 3) threw: ...".
    console.error(`error: Rank ${mpi.rank}, ${message[0].toLowerCase()}${message.slice(1)}`);
    mpi.abort(1);
  }
  const tiles = where.tiles?.length
    ? `tile${where.tiles.length > 1 ? "s" : ""} ${where.tiles.join(", ")}`
    : null;
  const who = !tiles
    ? `Rank ${mpi.rank}`
    : where.workers === 1
    ? `Rank ${mpi.rank}, worker 0 (${tiles})`
    : `Rank ${mpi.rank} (${tiles}; its main thread, not a worker)`;
  console.error(input ? `error: ${message}` : `error: ${who} threw: ${message}`);
  if (!input && error instanceof Error && error.stack) console.error(error.stack);
  mpi.abort(input ? 2 : 1);
}

/** {@link reconstruct} in this process: the whole run, or one rank's part of it (`where`). */
async function reconstructHere(
  requested: ReconstructOptions,
  hooks: RunHooks,
  where: RankPlace | null,
): Promise<RunResult> {
  const started = performance.now();
  const mpi = hooks.mpi ?? null;
  const root = !mpi || mpi.rank === 0;
  const log = root && hooks.log ? hooks.log : () => {};
  let resumeFrom: Checkpoint | null = null;
  let options = requested;
  if (requested.resume) {
    const checkpoint = await loadCheckpoint(requested.resume);
    const saved = checkpoint.meta.options as ReconstructOptions;
    options = {
      ...saved,
      ...requested.resumeWith,
      out: requested.out ?? saved.out,
      resume: requested.resume,
    };
    resumeFrom = checkpoint;
    log(`Resuming from ${checkpoint.dir} at iteration ${checkpoint.meta.iteration}`);
  }
  const out = outputDirectory(options);
  if (mpi && (options.algorithm === "epie" || options.algorithm === "rpie")) {
    throw new InputError(
      `--algorithm ${options.algorithm} runs on one device only: use cg or gd under MPI.`,
    );
  }
  if (root) await requireWritable(out);
  const rss = new RssPeak();
  // A rank reads only its own tiles' frames (the mean frame too: see `tileGroups`).
  const dataset = await loadInput(options, !mpi);
  let session: Session | null = null;
  try {
    const facts: RunFacts = {};
    session = await openSession({ options, dataset, checkpoint: resumeFrom, log, facts, mpi });
    if (where) where.tiles = session.localTiles ?? null;
    const resumedFrom = session.iteration;
    log(
      `${dataset.source}: ${dataset.count} positions of ${dataset.frame} x ${dataset.frame}, ` +
        `object ${options.slices} x ${dataset.objectShape.join(" x ")}, ` +
        `${options.algorithm} on ${session.adapter.description}`,
    );
    const iterationSeconds: number[] = [];
    // A checkpoint that cannot be written (a full disk, a session that cannot save its state)
    // must not end a long run: say so once and go on without checkpoints.
    let checkpoints = true;
    const save = async (): Promise<boolean> => {
      // Under MPI every rank gathers its state to rank 0 each time, whether it writes or not.
      if (!checkpoints && !mpi) return false;
      let state = mpi ? await session!.checkpoint() : null;
      if (!root || !checkpoints) return false;
      try {
        state ??= await session!.checkpoint();
        const meta = {
          ...state.meta,
          options: { ...options, out, resume: null },
          iteration: session!.iteration,
        };
        await saveCheckpoint(checkpointDirectory(out), { meta, arrays: state.arrays });
        return true;
      } catch (error) {
        checkpoints = false;
        log(`No checkpoint written (${(error as Error).message}); continuing without checkpoints`);
        return false;
      }
    };
    let interrupted = false;
    while (session.iteration < options.iterations) {
      const asked = await rankZeroAsks(hooks.signal, hooks.watching, mpi);
      if (asked.stop) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      const cost = await session.step();
      const seconds = (performance.now() - t0) / 1000;
      iterationSeconds.push(seconds);
      rss.sample();
      if (asked.watching) await session.gatherTileFigures?.();
      const take = async (): Promise<Snapshot> => {
        const { object, probe } = await session!.result();
        const tiles = await session!.gatherTileFigures?.() ?? session!.tileFigures?.() ?? null;
        return { object, probe, pixelSize: dataset.geometry.objectPixel, tiles };
      };
      const turn = new SnapshotTurn(take, mpi, hooks.watching !== undefined);
      await hooks.onIteration?.({
        iteration: session.iteration - 1,
        total: options.iterations,
        cost,
        rFactor: session.rFactors[session.iteration - 1] ?? NaN,
        seconds,
        busy: session.workers * (mpi?.size ?? 1),
        workers: session.workers * (mpi?.size ?? 1),
        tiles: session.tileFigures?.() ?? null,
        snapshot: turn.snapshot,
      });
      await turn.settle();
      const every = options.checkpointEvery;
      if (every > 0 && session.iteration % every === 0 && session.iteration < options.iterations) {
        await save();
      }
    }
    if (interrupted) {
      const where = (await save()) ? `checkpoint in ${checkpointDirectory(out)}` : "no checkpoint";
      log(`Stopped at iteration ${session.iteration}: ${where}`);
    }
    const result = await session.result();
    const perRank = mpi ? await perRankMemory(session, mpi, rss) : null;
    const tileFigures = await session.gatherTileFigures?.() ?? session.tileFigures?.() ?? null;
    const modes = orthogonalModes(result.probe);
    const report = buildReport({
      options,
      source: dataset.source,
      out,
      positions: dataset.count,
      frame: dataset.frame,
      objectShape: result.object.shape as [number, number, number],
      adapter: session.adapter,
      costs: session.costs,
      finalCost: result.finalCost,
      rFactors: session.rFactors,
      finalRFactor: result.finalRFactor,
      secondsTotal: (performance.now() - started) / 1000,
      iterationSeconds,
      deviceBytesPeak: perRank ? perRank.device.flat() : session.deviceBytesPeak(),
      hostRssPeak: rss.peak(),
      resumedFrom,
      interrupted,
      metrics: root ? metricsOf(dataset, result.object, modes.probe, result.positions) : undefined,
      ...(result.positions ? { positionMoves: movesOf(dataset, result.positions) } : {}),
      probeRescale: facts.probeRescale ?? 1,
      probeModePower: modes.power,
      tileFigures,
    });
    if (perRank) {
      report.ranks = perRank.device.length;
      report.device_bytes_peak_per_rank = perRank.device.map((w) => w.reduce((a, b) => a + b, 0));
      report.host_rss_bytes_peak_per_rank = perRank.host;
    }
    if (!root) return { out, report, interrupted };
    report.permissions = await grantsInForce(grantsFor({
      input: options.input,
      out,
      resume: requested.resume,
      config: hooks.grants?.config ?? null,
      serve: hooks.grants?.serve ?? null,
      mpi: mpi !== null,
    }));
    await writeOutputs({
      out,
      dataset,
      options,
      object: result.object,
      probe: modes.probe,
      report,
      positions: result.positions,
    });
    return { out, report, interrupted };
  } catch (error) {
    // A failed rank ends the job before releasing anything: its peers wait in collectives that
    // releasing would join.
    if (mpi && where) await abortRank(mpi, where, error);
    throw error;
  } finally {
    await session?.destroy();
    dataset.frames.close();
  }
}

/** How far refined positions lie from the measured ones: RMS and largest, object pixels. */
function movesOf(
  dataset: Dataset,
  refined: { y: Float64Array; x: Float64Array },
): { rms: number; max: number } {
  let sum = 0, max = 0;
  for (let j = 0; j < dataset.count; j++) {
    const d = Math.hypot(
      refined.y[j] - dataset.positionsY[j],
      refined.x[j] - dataset.positionsX[j],
    );
    sum += d * d;
    max = Math.max(max, d);
  }
  return { rms: Math.sqrt(sum / dataset.count), max };
}

/**
 * Every rank's device peaks (one per worker) and host memory peak, on rank 0 (each other rank
 * gets its own alone). Collective.
 */
async function perRankMemory(
  session: Session,
  mpi: MpiWorld,
  rss: RssPeak,
): Promise<{ device: number[][]; host: number[] }> {
  const mine = { device: session.deviceBytesPeak(), host: rss.peak() };
  const all = await mpi.gather(mine) ?? [mine];
  return { device: all.map((r) => r.device), host: all.map((r) => r.host) };
}
