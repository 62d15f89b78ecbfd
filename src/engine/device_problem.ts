/**
 * The one assembly of a device problem's options from a run's settings, for the engine's tiles
 * (`tiles.ts`) and the one device of `epie` / `rpie` (`pie_open.ts`) alike: the same physics,
 * batch rule and overlap-add index (the WebAssembly gather).
 */
import type { Dataset, FrameSource } from "../data/mod.ts";
import { nearFieldOf } from "../data/mod.ts";
import type { Fft2 } from "../fft/mod.ts";
import type { Gpu } from "../gpu/mod.ts";
import type { BatchWorkspace } from "../operators/mod.ts";
import { defaultBatchSize, GpuProblem, type Reduction } from "../problem/mod.ts";
import { wasmKernels } from "../tiling/mod.ts";
import type { InitialGuess } from "./initial.ts";
import type { ReconstructOptions } from "./options.ts";
import type { TiledPayload } from "./payload.ts";

/** What every device problem of a run takes from the run (the engine's payload holds it). */
export type RunSettings = Pick<
  TiledPayload,
  "slices" | "modes" | "noise" | "mask" | "propagation" | "nearField" | "batchSize"
>;

/** Options of {@link deviceProblem}: the run's settings and where the problem sits. */
export interface DeviceProblemOptions {
  gpu: Gpu;
  run: RunSettings;
  frame: number;
  /** The problem's positions' frames, as positions 0 .. n - 1. */
  frames: FrameSource;
  /** Scan positions in the problem's object pixels (its region's, for a tile). */
  positionsY: Float64Array;
  positionsX: Float64Array;
  objectShape: [number, number];
  /** Positions per batch when not the run's (lsqml's mini-batches). */
  batchSize?: number;
  reduction?: Reduction;
  /** See `GpuProblemOptions.haloPositions`. */
  haloPositions?: number;
  countProbe?: boolean;
  fft?: Fft2;
  workspace?: BatchWorkspace;
}

/** The device problem of a run's positions: the run's physics on `gpu`. */
export function deviceProblem(o: DeviceProblemOptions): Promise<GpuProblem> {
  const { run } = o;
  return GpuProblem.create({
    gpu: o.gpu,
    frames: o.frames,
    positionsY: o.positionsY,
    positionsX: o.positionsX,
    frame: o.frame,
    objectShape: o.objectShape,
    slices: run.slices,
    modes: run.modes,
    noise: run.noise,
    mask: run.mask,
    sliceDistance: run.propagation?.sliceDistance,
    wavelength: run.propagation?.wavelength,
    pixelSize: run.propagation?.pixelSize,
    nearField: run.nearField,
    batchSize: o.batchSize ?? run.batchSize,
    reduction: o.reduction,
    haloPositions: o.haloPositions,
    countProbe: o.countProbe,
    gather: wasmKernels.gather,
    fft: o.fft,
    workspace: o.workspace,
  });
}

/**
 * The settings of a run on one device (`epie`, `rpie`) from its data set, options and initial
 * guess, as the engine's session puts them in its payload.
 */
export function runSettings(
  dataset: Dataset,
  options: ReconstructOptions,
  guess: InitialGuess,
): RunSettings {
  return {
    slices: options.slices,
    modes: options.probeModes,
    noise: options.noise,
    mask: dataset.mask,
    propagation: propagationOf(dataset, guess),
    nearField: nearFieldOf(dataset.geometry),
    batchSize: defaultBatchSize(dataset.frame, options.probeModes),
  };
}

/** The multislice propagation between a run's slices, or null for one slice. */
export function propagationOf(dataset: Dataset, guess: InitialGuess): RunSettings["propagation"] {
  return guess.sliceDistance
    ? {
      sliceDistance: guess.sliceDistance,
      wavelength: dataset.geometry.wavelength,
      pixelSize: dataset.geometry.objectPixel,
    }
    : null;
}
