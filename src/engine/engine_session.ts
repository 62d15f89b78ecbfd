import { InputError } from "../data/errors.ts";
import { LocalCollectives } from "../distributed/collectives.ts";
import { MPI, MpiCollectives, type MpiWorld } from "../distributed/mpi/mod.ts";
import { type ComplexArray, type Dataset, MemoryFrames, nearFieldOf } from "../data/mod.ts";
import { type ExchangeMode, mailboxLengths, WorkerPool } from "../parallel/mod.ts";
import { defaultBatchSize, lsqmlBatchCount } from "../problem/mod.ts";
import type { NoiseModel } from "../physics/model.ts";
import { type Rect, tilesOf, type Tiling } from "../tiling/mod.ts";
import { type Checkpoint, tiledCheckpoint, tileStatesOf } from "./checkpoint_format.ts";
import { InProcessTiles } from "./in_process.ts";
import { planDatasetTiling, positionReach } from "./ownership.ts";
import type { FramesSpec, TiledCommand, TiledEvent, TiledPayload } from "./payload.ts";
import { stitchCore } from "./stitch.ts";
import { haloMismatch, stepFigures } from "./figures.ts";
import type { TileFigures } from "../io/tile_panel.ts";

type Stepped = Extract<TiledEvent, { type: "stepped" }>;

/** Options of {@link openEngineSession}. */
export interface EngineSessionOptions {
  dataset: Dataset;
  tiles: [number, number];
  workers: number;
  exchange: ExchangeMode;
  algorithm: "cg" | "gd" | "lsqml" | "dm" | "raar";
  refineProbeFrom?: number;
  /** First iteration that refines the scan positions (`positions.ts`); absent or null: never. */
  correctPositionsFrom?: number | null;
  /** RAAR's beta (`raar` only). */
  raarBeta?: number;
  /** The probe support's fraction of the frame's area (`dm` and `raar`; null: none). */
  probeSupport?: number | null;
  slices: number;
  modes: number;
  noise: NoiseModel;
  /** Initial object S x H x W and probe K x M x M, complex float32. */
  initial: { object: Float32Array; probe: Float32Array };
  propagation?: { sliceDistance: number; wavelength: number; pixelSize: number } | null;
  /** Positions per batch on a device (default `defaultBatchSize`, as everywhere). */
  batchSize?: number;
  /** A worker silent this long is declared dead (default the pool's). */
  silenceMs?: number;
  /**
   * Device bytes each worker may use: its tiles then stay on the host and go through its device
   * one at a time (`streamed_store.ts`). Null or absent: every tile resident.
   */
  memoryBudget?: number | null;
  /** A checkpoint of the same run (see `tiledCheckpoint`) to continue from. */
  resume?: Checkpoint | null;
  /**
   * This process's place in an MPI job (`reconstruct --mpi`), or null for a run in one process.
   * Every rank opens the session with the same options; `workers` is then per rank, and rank r
   * holds the tiles of workers r x workers .. (r + 1) x workers - 1 of a plan for all ranks'
   * workers: contiguous groups balanced by position count.
   */
  mpi?: MpiWorld | null;
}

/**
 * The one engine's session: a reconstruction by `cg`, `gd`, `lsqml`, `dm` or `raar` in every
 * configuration, on tiles whatever their number: one tile (the untiled run) is served on the
 * main thread (`in_process.ts`), more by workers, each holding its tiles (see `worker_job.ts`),
 * over the `local`, `workers` or `mpi` transport; tiles resident or streamed (`tiles.ts`).
 * The session only sends commands and collects events: with workers the main thread never
 * touches the frames (workers read their own) and never blocks.
 */
export class EngineSession {
  #adapter = { description: "", fallback: false };
  readonly costs: number[] = [];
  readonly rFactors: number[] = [];
  /** Evaluations of F each iteration of this session made (not those before a resume). */
  readonly evaluations: number[] = [];
  #lastRFactor: number | null = null;
  readonly #runner: { command(command: TiledCommand): void };
  readonly #run: Promise<void>;
  readonly #events = new Map<string, TiledEvent[]>();
  #wake: (() => void) | null = null;
  #peaks: number[];
  #peakLabels: Array<Array<[string, number]>>;
  #lastCost: number | null = null;
  /** This rank's transport under MPI, which {@link destroy} finishes. */
  readonly #mpiCollectives: MpiCollectives | null;

  /** The tiles this process holds (every tile unless it is one rank of an MPI job). */
  readonly localTiles: readonly number[];
  #figures: TileFigures | null = null;
  /** This process's workers' events of the last step, which MPI ranks gather for the panel. */
  #stepped: Stepped[] = [];
  /** Whether {@link gatherTileFigures} has gathered the last step's figures already. */
  #figuresGathered = false;

  private constructor(
    readonly tiling: Tiling,
    readonly alsoOwned: Rect[][],
    readonly options: EngineSessionOptions,
    payload: TiledPayload,
  ) {
    this.#peaks = new Array(options.workers).fill(0);
    this.#peakLabels = Array.from({ length: options.workers }, () => []);
    const receive = (event: unknown) => this.#receive(event as TiledEvent);
    const { mpi } = options;
    this.localTiles = mpi
      ? Array.from(
        { length: options.workers },
        (_, w) => tilesOf(tiling, mpi.rank * options.workers + w),
      ).flat()
      : tiling.regions.map((_, t) => t);
    const w = options.workers;
    if (mpi && w > 1 && mpi.threadLevel < MPI.THREAD_MULTIPLE) {
      throw new InputError(
        `--workers ${w} under MPI needs an MPI library providing MPI_THREAD_MULTIPLE; this one ` +
          `provides level ${mpi.threadLevel}: run one worker per rank (--workers 1).`,
      );
    }
    this.#mpiCollectives = mpi && w === 1
      ? new MpiCollectives(mpi, tiling, Array.from(tiling.workerOf))
      : null;
    // Pool worker k of rank r is participant r x W + k of the plan.
    const first = (mpi?.rank ?? 0) * w;
    const runner = this.#mpiCollectives
      ? new InProcessTiles(payload, options.dataset.frames, receive, this.#mpiCollectives)
      : inProcess(tiling, options.workers)
      ? new InProcessTiles(payload, options.dataset.frames, receive, new LocalCollectives())
      : new WorkerPool<TiledPayload, void>({
        workers: options.workers,
        job: new URL("./worker_job.ts", import.meta.url),
        payload: () => payload,
        fabric: {
          // Probe-sized sums, and under MPI the strip counts of every tile (`finish`).
          reduceCapacity: Math.max(1, payload.probe.length, tiling.regions.length),
          mailboxes: mailboxLayout(tiling, options.slices),
          tiles: tiling.regions.length,
        },
        describe: (rank) => `tiles ${tilesOf(tiling, first + rank).join(", ")}`,
        onProgress: receive,
        silenceMs: options.silenceMs,
      });
    this.#runner = runner;
    this.#run = runner.run().then(() => {});
    // A failure is reported by whichever call is waiting; keep it from going unhandled here.
    this.#run.catch(() => {});
  }

  /** Plans the tiles, starts the workers and waits until each has set up its tiles. */
  static async open(options: EngineSessionOptions): Promise<EngineSession> {
    const { dataset } = options;
    const ranks = options.mpi?.size ?? 1;
    const { tiling, alsoOwned } = planDatasetTiling(
      dataset,
      options.tiles,
      options.workers * ranks,
      positionReach(options.correctPositionsFrom),
    );
    const resumed = options.resume ? tileStatesOf(options.resume, tiling.regions.length) : null;
    const batchSize = options.batchSize ?? defaultBatchSize(dataset.frame, options.modes);
    const lsqmlBatches = lsqmlBatchCount(dataset.count, batchSize);
    const object = new SharedArrayBuffer(options.initial.object.byteLength);
    new Float32Array(object).set(options.initial.object);
    const payload: TiledPayload = {
      tiling,
      alsoOwned,
      positionsY: dataset.positionsY,
      positionsX: dataset.positionsX,
      frames: (options.mpi && options.workers === 1) || inProcess(tiling, options.workers)
        ? { kind: "host" }
        : framesSpec(dataset),
      slices: options.slices,
      modes: options.modes,
      noise: options.noise,
      mask: dataset.mask,
      propagation: options.propagation ?? null,
      nearField: nearFieldOf(dataset.geometry),
      object,
      probe: options.initial.probe,
      algorithm: options.algorithm,
      lsqmlBatches,
      refineProbeFrom: options.refineProbeFrom,
      correctPositionsFrom: options.correctPositionsFrom ?? null,
      raarBeta: options.raarBeta,
      probeSupport: options.probeSupport,
      exchange: options.exchange,
      // lsqml's batches are its mini-batches (see `tiles.ts`), at most this many positions.
      batchSize: options.algorithm === "lsqml"
        ? Math.ceil(dataset.count / lsqmlBatches)
        : batchSize,
      resume: resumed?.states ?? null,
      memoryBudget: options.memoryBudget ?? null,
      mpi: options.mpi && options.workers > 1 ? { workersPerRank: options.workers } : null,
    };
    const session = new EngineSession(tiling, alsoOwned, options, payload);
    if (resumed) {
      session.costs.push(...resumed.costs);
      // Checkpoints keep costs only: the R-factors of iterations before a resume are unknown.
      session.rFactors.push(...resumed.costs.map(() => NaN));
      session.#lastCost = resumed.lastCost;
    }
    try {
      const ready = await session.#collect("ready", options.workers);
      session.#adapter = adapterOf(ready);
      checkBudget(ready, options.memoryBudget ?? null);
    } catch (error) {
      await session.destroy();
      throw error;
    }
    return session;
  }

  /** The workers' adapters: their descriptions (each once), fallback if any worker's is. */
  get adapter(): { description: string; fallback: boolean } {
    return { ...this.#adapter };
  }

  get workers(): number {
    return this.options.workers;
  }

  get iteration(): number {
    return this.costs.length;
  }

  async step(): Promise<number> {
    this.#send({ type: "step" });
    const events = await this.#collect("stepped", this.workers);
    this.#stepped = events.flatMap((e) => e.type === "stepped" ? [e] : []);
    this.#setFigures(this.#stepped);
    this.#figuresGathered = !this.options.mpi;
    const { cost, newCost, rFactor, newRFactor, evaluations } = events[0] as Stepped;
    this.costs.push(cost);
    this.evaluations.push(evaluations);
    this.rFactors.push(rFactor ?? NaN);
    this.#lastCost = newCost ?? cost;
    this.#lastRFactor = newCost === null ? rFactor : newRFactor;
    return cost;
  }

  /**
   * The live view's tile panel: each tile's share of the last step's cost and R-factor, each
   * worker's busy fraction, and the halo mismatch as of the last {@link result}; null before the
   * first step and for a run of one tile. Under MPI, this rank's tiles and workers until
   * {@link gatherTileFigures} brings every rank's to rank 0.
   */
  tileFigures(): TileFigures | null {
    if (this.#figures === null || this.tiling.regions.length < 2) return null;
    return structuredClone(this.#figures);
  }

  /**
   * Under MPI, gathers every rank's figures of the last step to rank 0, whose
   * {@link tileFigures} then hold all tiles and workers (each rank's own otherwise); collective:
   * every rank calls it, and a second call before the next step does nothing. Returns what
   * {@link tileFigures} returns. Without MPI nothing needs gathering.
   */
  async gatherTileFigures(): Promise<TileFigures | null> {
    const { mpi } = this.options;
    if (mpi && !this.#figuresGathered) {
      this.#figuresGathered = true;
      const all = await mpi.gather(this.#stepped);
      // Before any step there is nothing to show (rank 0 has stepped when every rank has).
      if (all && this.#figures) this.#setFigures(all.flat());
    }
    return this.tileFigures();
  }

  /** The panel's figures of a step from these events, with the latest halo measured. */
  #setFigures(stepped: Stepped[]): void {
    const { dataset, workers } = this.options;
    const figures = stepFigures(this.tiling, dataset.objectShape, stepped, workers);
    // The halo is measured only when the object is read back: keep the latest, with its iteration.
    figures.halo = this.#figures?.halo ?? null;
    figures.haloIteration = this.#figures?.haloIteration ?? null;
    this.#figures = figures;
  }

  /**
   * Gathers every tile's solver state from the workers (see `tiledCheckpoint`). Under MPI every
   * rank calls it; rank 0 gets the whole checkpoint, the others their own tiles' part of it.
   */
  async checkpoint(): Promise<Checkpoint> {
    this.#send({ type: "checkpoint" });
    const events = await this.#gathered("state");
    return tiledCheckpoint({
      states: events.flatMap((e) => e.type === "state" ? [e.state] : []),
      costs: this.costs,
      lastCost: this.#lastCost,
    });
  }

  /**
   * `count` events of `type` from this process's tiles; under MPI, rank 0 gets every rank's and
   * the others their own.
   */
  async #gathered(type: "state" | "result"): Promise<TiledEvent[]> {
    const events = await this.#collect(type, this.localTiles.length);
    const { mpi } = this.options;
    if (!mpi) return events;
    return (await mpi.gather(events))?.flat() ?? events;
  }

  /**
   * Stitches the tiles' cores into the object; the probe is the same on every tile. With position
   * correction, also the refined positions (object pixels, in scan order). Under MPI every rank
   * calls it and rank 0 gets the whole object (the others only their tiles' cores).
   */
  async result(): Promise<{
    object: ComplexArray;
    probe: ComplexArray;
    finalCost: number;
    finalRFactor: number;
    positions?: { y: Float64Array; x: Float64Array };
  }> {
    const { object, probe, positions } = await this.#stitched("x");
    return {
      object,
      probe,
      finalCost: this.#lastCost ?? NaN,
      finalRFactor: this.#lastRFactor ?? NaN,
      ...(positions ? { positions } : {}),
    };
  }

  /**
   * The cost and complete gradient (object and probe, whatever the solver refines) at the
   * current unknowns, stitched from the tiles' cores: equal to the untiled gradient up to
   * float32 rounding with `sync` exchange.
   */
  async gradient(): Promise<{ object: ComplexArray; probe: ComplexArray; cost: number }> {
    return await this.#stitched("gradient");
  }

  async #stitched(what: "x" | "gradient"): Promise<{
    object: ComplexArray;
    probe: ComplexArray;
    cost: number;
    positions?: { y: Float64Array; x: Float64Array };
  }> {
    const { dataset, slices, modes, initial } = this.options;
    let positions: { y: Float64Array; x: Float64Array } | undefined;
    this.#send({ type: what === "x" ? "result" : "gradient" });
    const events = await this.#gathered("result");
    const object = what === "x" ? initial.object.slice() : new Float32Array(initial.object.length);
    let probe = initial.probe;
    let cost = NaN;
    // Every tile holds the same probe; the lowest present gives it (tile 0 but on MPI ranks > 0).
    const first = Math.min(...events.map((e) => e.type === "result" ? e.tile : Infinity));
    const tiles = new Map<number, Float32Array>();
    for (const e of events) {
      if (e.type !== "result") continue;
      tiles.set(e.tile, e.object);
      for (const core of [this.tiling.cores[e.tile], ...this.alsoOwned[e.tile]]) {
        stitchCore({
          object,
          shape: dataset.objectShape,
          slices,
          region: this.tiling.regions[e.tile],
          core,
          values: e.object,
        });
      }
      if (e.tile === first) {
        probe = e.probe;
        cost = e.cost;
      }
      if (e.positions) {
        positions ??= { y: dataset.positionsY.slice(), x: dataset.positionsX.slice() };
        for (const [i, j] of this.tiling.positionsOf[e.tile].entries()) {
          positions.y[j] = e.positions.y[i];
          positions.x[j] = e.positions.x[i];
        }
      }
    }
    if (what === "x" && this.#figures) {
      this.#figures.halo = haloMismatch(this.tiling, slices, tiles);
      this.#figures.haloIteration = this.#figures.iteration;
    }
    const m = dataset.frame;
    return {
      object: { shape: [slices, ...dataset.objectShape], data: object },
      probe: { shape: [modes, m, m], data: probe },
      cost,
      ...(positions ? { positions } : {}),
    };
  }

  deviceBytesPeak(): number[] {
    return [...this.#peaks];
  }

  /** What worker `rank`'s device peak was made of after its last step: bytes by buffer label. */
  deviceBytesPeakByLabel(rank: number): Array<[string, number]> {
    return this.#peakLabels[rank].map(([label, bytes]) => [label, bytes]);
  }

  /**
   * Ends the workers; under MPI (on every rank) also this rank's traffic, so that MPI can be
   * finalized.
   */
  async destroy(): Promise<void> {
    this.#send({ type: "finish" });
    const finished = await this.#run.then(() => true, () => false);
    if (finished) await this.#mpiCollectives?.finish();
  }

  #send(command: TiledCommand): void {
    this.#runner.command(command);
  }

  #receive(event: TiledEvent): void {
    if ("peak" in event) this.#peaks[event.rank] = Math.max(this.#peaks[event.rank], event.peak);
    if (event.type === "stepped") this.#peakLabels[event.rank] = event.peakLabels;
    this.#events.set(event.type, [...(this.#events.get(event.type) ?? []), event]);
    this.#wake?.();
  }

  /** Waits for `count` events of `type` (or the run's failure) and takes them. */
  async #collect(type: TiledEvent["type"], count: number): Promise<TiledEvent[]> {
    for (;;) {
      const got = this.#events.get(type) ?? [];
      if (got.length >= count) {
        this.#events.set(type, got.slice(count));
        return got.slice(0, count);
      }
      const arrived = new Promise<void>((resolve) => this.#wake = resolve);
      await Promise.race([
        arrived,
        this.#run.then(() => {
          throw new Error(`The workers finished before sending ${count} "${type}" events`);
        }),
      ]);
    }
  }
}

/** Whether the run is the one-tile, one-worker case, served in process. */
function inProcess(tiling: Tiling, workers: number): boolean {
  return tiling.regions.length === 1 && workers === 1;
}

/** One summary of the workers' adapters, in rank order. */
function adapterOf(ready: TiledEvent[]): { description: string; fallback: boolean } {
  const adapters = ready.flatMap((e) => e.type === "ready" ? [e] : [])
    .sort((a, b) => a.rank - b.rank)
    .map((e) => e.adapter);
  const descriptions = [...new Set(adapters.map((a) => a.description))];
  return {
    description: adapters.length === 1
      ? descriptions[0]
      : `${descriptions.join(", ")} (${adapters.length} workers, one device each)`,
    fallback: adapters.some((a) => a.fallback),
  };
}

/**
 * @throws {InputError} when a worker needed more device bytes than the budget for one tile.
 */
function checkBudget(ready: TiledEvent[], budget: number | null): void {
  if (budget === null) return;
  const need = Math.max(...ready.map((e) => e.type === "ready" ? e.tileBytes ?? 0 : 0));
  if (need <= budget) return;
  throw new InputError(
    `--memory-budget ${budget} cannot hold one tile: a worker needs ${need} device bytes ` +
      `(${(need / 2 ** 20).toFixed(1)} MiB) for its largest tile; raise the budget or use more ` +
      "tiles.",
  );
}

/** Mailboxes of the gradient exchange (S planes), then of the illumination exchange (1 plane). */
export function mailboxLayout(tiling: Tiling, slices: number): number[] {
  return [...mailboxLengths(tiling, slices), ...mailboxLengths(tiling, 1)];
}

/** Shared memory for frames already in memory, the file's path otherwise. */
function framesSpec(dataset: Dataset): FramesSpec {
  if (dataset.frames instanceof MemoryFrames) {
    const buffer = new SharedArrayBuffer(dataset.frames.frames.byteLength);
    new Float32Array(buffer).set(dataset.frames.frames);
    return { kind: "shared", buffer };
  }
  const near = dataset.geometry.propagation;
  if (near?.kind !== "near") return { kind: "cxi", path: dataset.source };
  return {
    kind: "cxi",
    path: dataset.source,
    propagation: "near",
    ...(near.focusDistance !== null ? { focusDistance: near.focusDistance } : {}),
  };
}

/** Starts a tiled reconstruction (see {@link EngineSession}). */
export function openEngineSession(options: EngineSessionOptions): Promise<EngineSession> {
  return EngineSession.open(options);
}
