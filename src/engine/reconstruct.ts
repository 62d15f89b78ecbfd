/**
 * The reconstruction pipeline of `tessera reconstruct`: input, session (one device or the tiled
 * engine), the iteration loop with progress, checkpoints and Ctrl-C, then the outputs.
 */
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
import type { Dataset } from "../data/dataset.ts";

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
  /** Workers that computed during this iteration, and all workers. */
  busy: number;
  workers: number;
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
}

/** How a caller follows and controls a run. */
export interface RunHooks {
  /** Called after each iteration; the next one starts once a returned promise settles. */
  onIteration?: (event: IterationInfo) => void | Promise<void>;
  /** Human-readable milestones (input read, device chosen, checkpoint written). */
  log?: (line: string) => void;
  /** When aborted, the run finishes its iteration, writes a checkpoint and stops. */
  signal?: AbortSignal;
  /** The grants a run derives from its command line beyond its options (for the report). */
  grants?: Pick<GrantSources, "config" | "serve">;
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
  const started = performance.now();
  const log = hooks.log ?? (() => {});
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
  await requireWritable(out);
  const rss = new RssPeak();
  const dataset = await loadInput(options);
  let session: Session | null = null;
  try {
    const facts: RunFacts = {};
    session = await openSession({ options, dataset, checkpoint: resumeFrom, log, facts });
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
      if (!checkpoints) return false;
      try {
        const state = await session!.checkpoint();
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
      if (hooks.signal?.aborted) {
        interrupted = true;
        break;
      }
      const t0 = performance.now();
      const cost = await session.step();
      const seconds = (performance.now() - t0) / 1000;
      iterationSeconds.push(seconds);
      rss.sample();
      await hooks.onIteration?.({
        iteration: session.iteration - 1,
        total: options.iterations,
        cost,
        rFactor: session.rFactors[session.iteration - 1] ?? NaN,
        seconds,
        busy: session.workers,
        workers: session.workers,
        snapshot: async () => {
          const { object, probe } = await session!.result();
          return { object, probe, pixelSize: dataset.geometry.objectPixel };
        },
      });
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
      deviceBytesPeak: session.deviceBytesPeak(),
      hostRssPeak: rss.peak(),
      resumedFrom,
      interrupted,
      metrics: metricsOf(dataset, result.object, modes.probe, result.positions),
      ...(result.positions ? { positionMoves: movesOf(dataset, result.positions) } : {}),
      probeRescale: facts.probeRescale ?? 1,
      probeModePower: modes.power,
    });
    report.permissions = await grantsInForce(grantsFor({
      input: options.input,
      out,
      resume: requested.resume,
      config: hooks.grants?.config ?? null,
      serve: hooks.grants?.serve ?? null,
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
