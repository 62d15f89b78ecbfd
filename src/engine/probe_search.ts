/**
 * The defocus search: the far-field probe estimated from the mean frame has the right far-field
 * amplitude and a flat phase; a probe focused by a lens, a zone plate or a condenser aperture and
 * defocused has a quadratic far-field phase -pi a |f|^2 that the flat start loses entirely (its
 * overlap with the true probe was 0.22 on the electron preset, where the run never recovered).
 * The search tries curvatures a on a short trial each, fitting the object alone on the scan's
 * central positions at a reduced resolution, and keeps the one whose trial cost is lowest if it
 * clearly beats the flat phase (a = 0, one of the trials).
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import {
  applyCurvature,
  type CentralFrames,
  centralPositions,
  centralSide,
  cutCentre,
  DefocusTrialSet,
  spectrumOf,
} from "./_defocus_trial.ts";

export type { CentralFrames };

/** Positions of a trial: the ones nearest the scan's centroid. */
export const SEARCH_POSITIONS = 16;
/** Object-only rounds over the trial's positions before its cost is taken. */
export const SEARCH_SWEEPS = 4;
/**
 * The ladder of curvatures tried first, as the radius a f95 (fraction of the frame) over which the
 * curvature spreads the far field's frequency f95 that encloses 95 % of its power: each on both
 * signs, besides a = 0.
 */
export const SEARCH_SPREADS = Array.from({ length: 12 }, (_, k) => (k + 1) / 32);
/**
 * Golden-section trials between the best rung's neighbours, run only when that rung's cost is
 * already below {@link SEARCH_GAIN} of the flat phase's (where it refined, it lowered the cost by
 * 0.1 to 0.2 %, so it never turned a rejection into a choice).
 */
export const SEARCH_REFINEMENTS = 6;
/**
 * A curvature is kept only when its trial cost is below this fraction of the flat phase's: where
 * no curvature explains the data (a pinhole's far field, whose rings change sign, see
 * docs/DESIGN.md) the trials' costs differ by a few per cent and a curved start loses.
 */
export const SEARCH_GAIN = 0.8;

/** One curvature tried and its trial cost. */
export interface DefocusTrial {
  /** a = lambda z / dx^2 (pixels^2): the far field is multiplied by exp(-i pi a |f|^2). */
  curvature: number;
  /** Amplitude cost sum (|Psi| - sqrt(d))^2 over the trial's frames after its object fit. */
  cost: number;
}

/** What {@link searchDefocus} chose. */
export interface DefocusChoice {
  /** The curvature kept (0: the flat phase). */
  curvature: number;
  /** The estimate with that curvature, M x M complex, the same power. */
  probe: Float32Array;
  /** Every trial in the order run. */
  trials: DefocusTrial[];
  /** Side of the trial's crop of the frames. */
  crop: number;
}

/**
 * `probe` (M x M complex, far field, the flat-phase estimate of `estimateProbe`) with its far
 * field multiplied by exp(-i pi a |f|^2), f in cycles per pixel: the probe propagated by
 * z = a dx^2 / lambda (the Fresnel propagator's convention, `fresnelKernel`).
 */
export function withCurvature(probe: Float32Array, m: number, curvature: number): Float32Array {
  const { re, im } = spectrumOf(probe, m);
  applyCurvature(re, im, m, m, curvature);
  fft2Reference(re, im, m, 1, true);
  fftshift2(re, im, m, 1);
  const out = new Float32Array(2 * m * m);
  for (let i = 0; i < m * m; i++) {
    out[2 * i] = re[i];
    out[2 * i + 1] = im[i];
  }
  return out;
}

/**
 * Tries the curvatures (see {@link SEARCH_SPREADS}, {@link SEARCH_REFINEMENTS}) on `probe`, the
 * flat-phase estimate from `dataset` (far field), and returns the one of lowest trial cost if that
 * is below {@link SEARCH_GAIN} of the flat phase's, else the flat phase. All in float64 on the host
 * from the same frames, so every process that runs it chooses alike. `central`: the trial's frames
 * (see {@link searchFrames}), read here when not given.
 */
export async function searchDefocus(
  dataset: Dataset,
  probe: Float32Array,
  central?: CentralFrames,
): Promise<DefocusChoice> {
  const m = dataset.frame;
  const frames = central ?? await readCentralFrames(dataset);
  const trial = DefocusTrialSet.create(dataset, probe, frames, SEARCH_SWEEPS);
  const trials: DefocusTrial[] = [];
  const cost = (curvature: number) => {
    const found = trials.find((t) => t.curvature === curvature);
    if (found) return found.cost;
    const c = trial.cost(curvature);
    trials.push({ curvature, cost: c });
    return c;
  };
  const unit = m / trial.f95;
  const ladder = [
    ...SEARCH_SPREADS.map((s) => -s * unit).reverse(),
    0,
    ...SEARCH_SPREADS.map((s) => s * unit),
  ];
  const costs = ladder.map(cost);
  const best = costs.indexOf(Math.min(...costs));
  const flat = costs[ladder.indexOf(0)];
  // Only a curvature that will be kept needs refining: a rejected search stops at the ladder.
  if (costs[best] < SEARCH_GAIN * flat) {
    refine(cost, ladder[Math.max(0, best - 1)], ladder[Math.min(ladder.length - 1, best + 1)]);
  }
  const lowest = trials.reduce((a, b) => (b.cost < a.cost ? b : a));
  const chosen = lowest.cost < SEARCH_GAIN * flat ? lowest : { curvature: 0 };
  return {
    curvature: chosen.curvature,
    probe: chosen.curvature === 0 ? probe.slice() : withCurvature(probe, m, chosen.curvature),
    trials,
    crop: trial.crop,
  };
}

/** {@link SEARCH_REFINEMENTS} golden-section trials of `cost` within [lo, hi]. */
function refine(cost: (a: number) => number, lo: number, hi: number): void {
  const g = (Math.sqrt(5) - 1) / 2;
  let [x1, x2] = [hi - g * (hi - lo), lo + g * (hi - lo)];
  let [c1, c2] = [cost(x1), cost(x2)];
  for (let k = 2; k < SEARCH_REFINEMENTS; k++) {
    if (c1 <= c2) {
      [hi, x2, c2] = [x2, x1, c1];
      x1 = hi - g * (hi - lo);
      c1 = cost(x1);
    } else {
      [lo, x1, c1] = [x1, x2, c2];
      x2 = lo + g * (hi - lo);
      c2 = cost(x2);
    }
  }
}

/** The trial's positions: the {@link SEARCH_POSITIONS} nearest the scan's centroid. */
export function searchPositions(
  dataset: Pick<Dataset, "positionsX" | "positionsY" | "count">,
): number[] {
  return centralPositions(dataset, SEARCH_POSITIONS);
}

/**
 * Where the trial's frames go, for a reader that meets them while reading others: slot `k` of
 * {@link searchPositions} in an array of {@link searchFrames}' length, by `cut`.
 */
export const searchFrames = {
  /** Doubles of the trial's frames for frames of m. */
  length: (m: number, count: number) => Math.min(count, SEARCH_POSITIONS) * centralSide(m) ** 2,
  cut: cutCentre,
  of: (m: number, amplitudes: Float64Array): CentralFrames => ({
    side: centralSide(m),
    amplitudes,
  }),
};

/** Reads the trial's frames from `dataset`. */
async function readCentralFrames(dataset: Dataset): Promise<CentralFrames> {
  const m = dataset.frame;
  const positions = searchPositions(dataset);
  const frames = await dataset.frames.read(positions);
  const amplitudes = new Float64Array(searchFrames.length(m, dataset.count));
  for (let k = 0; k < positions.length; k++) {
    cutCentre(frames.subarray(k * m * m, (k + 1) * m * m), m, amplitudes, k);
  }
  return searchFrames.of(m, amplitudes);
}
