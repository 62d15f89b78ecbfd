/**
 * The defocus search: the far-field probe estimated from the mean frame has the right far-field
 * amplitude and a flat phase; a probe focused by a lens, a zone plate or a condenser aperture and
 * defocused has a quadratic far-field phase -pi a |f|^2 that the flat start loses entirely (its
 * overlap with the true probe was 0.22 on the electron preset, where the run never recovered).
 * A beam cut by a pinhole (or any sharp round aperture) and propagated to the sample has in its
 * far field the aperture's ring pattern, whose sign changes from ring to ring, times the same
 * quadratic phase; where the mean frame's amplitude shows such rings, each curvature is tried
 * twice, without and with those sign changes.
 * The search tries curvatures a on a short trial each, fitting the object alone on the scan's
 * central positions at a reduced resolution, and keeps the one whose trial cost is lowest if it
 * clearly beats the flat phase (a = 0 without sign changes, one of the trials).
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import { frequency } from "../physics/fourier.ts";
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

/**
 * Width of the radial bins in which {@link findRings} averages the far field's amplitude, in
 * pixels of the frame: whole pixels put a ring's edge up to half a pixel off, which left the start
 * too far from the beam to help (docs/DESIGN.md).
 */
export const RING_BIN = 0.5;
/**
 * A radial minimum of the far field's amplitude is taken as a ring's edge (a zero of the
 * aperture's pattern, where its sign changes) when it lies below this fraction of the lower of
 * the two maxima on either side.
 */
export const RING_DEPTH = 0.75;
/**
 * Ring edges are looked for only where the maxima on either side reach this fraction of the far
 * field's peak: beyond, the mean frame is mostly noise.
 */
export const RING_FLOOR = 1e-3;
/**
 * The found edges are replaced by a round aperture's (see {@link findRings}) when they lie within
 * this RMS distance (pixels of the frame) of its zeros.
 */
export const RING_FIT = 0.1;

/** One curvature tried and its trial cost. */
export interface DefocusTrial {
  /** a = lambda z / dx^2 (pixels^2): the far field is multiplied by exp(-i pi a |f|^2). */
  curvature: number;
  /** Whether the far field had the sign changes of {@link findRings}' rings. */
  signed: boolean;
  /** Amplitude cost sum (|Psi| - sqrt(d))^2 over the trial's frames after its object fit. */
  cost: number;
}

/** What {@link searchDefocus} chose. */
export interface DefocusChoice {
  /** The curvature kept (0: the flat phase). */
  curvature: number;
  /** The aperture's rings where the kept far field changes sign; null where it does not. */
  rings: Rings | null;
  /** The estimate with that curvature (and those signs), M x M complex, the same power. */
  probe: Float32Array;
  /** Every trial in the order run. */
  trials: DefocusTrial[];
  /** Side of the trial's crop of the frames. */
  crop: number;
}

/**
 * `probe` (M x M complex, far field, the flat-phase estimate of `estimateProbe`) with its far
 * field multiplied by exp(-i pi a |f - f0|^2), f in cycles per pixel, f0 = `centre` / M: the probe
 * propagated by z = a dx^2 / lambda (the Fresnel propagator's convention, `fresnelKernel`) about
 * the direction of its far field's centre.
 */
export function withCurvature(
  probe: Float32Array,
  m: number,
  curvature: number,
  centre: readonly [number, number] = [0, 0],
): Float32Array {
  const { re, im } = spectrumOf(probe, m);
  applyCurvature(re, im, m, m, curvature, centre);
  return toProbe(re, im, m);
}

/** An aperture's rings in a far field: where its sign changes. */
export interface Rings {
  /**
   * The rings' centre, pixels of the frame from zero frequency (y, x): the far field's power
   * centroid, not zero where the beam meets the detector off the frame's centre.
   */
  centre: [number, number];
  /** Radii of the rings' edges about the centre, pixels of the frame, ascending (may be none). */
  radii: number[];
  /**
   * Radius (pixels of the object) of the round aperture whose far field's zeros the edges are,
   * or null where the edges found did not fit one and are used as found.
   */
  aperture: number | null;
}

/**
 * The rings in the far field of `probe` (M x M complex, a far-field estimate centred in the
 * frame): the radial profile of its amplitude about its power centroid, in bins of
 * {@link RING_BIN} (pixels that `mask`, in frame order, leaves out are not counted), each minimum
 * below {@link RING_DEPTH} of the lower maximum beside it, placed within its bin by a parabola
 * through it and its neighbours. A round aperture of radius R (object pixels) has its far field's
 * zeros at j_n M / (2 pi R), j_n the zeros of the Bessel function J1: where the edges found are
 * the first ones of such a series within {@link RING_FIT}, the series' radii (R fitted by least
 * squares) replace them, which places each edge better than its own minimum does (a pixel shell
 * a few hundredths of a pixel from an edge otherwise takes either sign). No radii where the
 * profile has no such minima (a lens's or a zone plate's flat or annular far field).
 */
export function findRings(
  probe: Float32Array,
  m: number,
  mask: Uint8Array | null = null,
): Rings {
  const { re, im } = spectrumOf(probe, m);
  // Far-field pixel (y, x) in FFT order is frame pixel (y + M/2, x + M/2) mod M.
  const measured = (y: number, x: number) => !mask?.[((y + m / 2) % m) * m + ((x + m / 2) % m)];
  let [power, cy, cx] = [0, 0, 0];
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      if (!measured(y, x)) continue;
      const p = re[y * m + x] ** 2 + im[y * m + x] ** 2;
      power += p;
      cy += p * frequency(y, m) * m;
      cx += p * frequency(x, m) * m;
    }
  }
  const centre: [number, number] = power > 0 ? [cy / power, cx / power] : [0, 0];
  const bins = Math.floor(m / 2 / RING_BIN) + 1;
  const sum = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let y = 0; y < m; y++) {
    const fy = frequency(y, m) * m - centre[0];
    for (let x = 0; x < m; x++) {
      if (!measured(y, x)) continue;
      const b = Math.round(Math.hypot(fy, frequency(x, m) * m - centre[1]) / RING_BIN);
      if (b >= bins) continue;
      sum[b] += Math.hypot(re[y * m + x], im[y * m + x]);
      count[b]++;
    }
  }
  // Bins no pixel falls in (near the centre) take the mean of the nearest filled ones.
  const profile = Array.from(sum, (s, b) => (count[b] > 0 ? s / count[b] : NaN));
  for (let b = 0; b < bins; b++) {
    if (!Number.isNaN(profile[b])) continue;
    let [l, r] = [b - 1, b + 1];
    while (l >= 0 && count[l] === 0) l--;
    while (r < bins && count[r] === 0) r++;
    const near = [l >= 0 ? sum[l] / count[l] : NaN, r < bins ? sum[r] / count[r] : NaN]
      .filter((v) => !Number.isNaN(v));
    profile[b] = near.length ? near.reduce((a, v) => a + v, 0) / near.length : 0;
  }
  const floor = RING_FLOOR * Math.max(...profile);
  const radii: number[] = [];
  for (let b = 1; b < bins - 1; b++) {
    if (!(profile[b] < profile[b - 1] && profile[b] <= profile[b + 1])) continue;
    let l = b;
    while (l > 0 && profile[l - 1] >= profile[l]) l--;
    let r = b;
    while (r < bins - 1 && profile[r + 1] >= profile[r]) r++;
    const lower = Math.min(profile[l], profile[r]);
    if (lower < floor || profile[b] >= RING_DEPTH * lower) continue;
    const [a, c, d] = [profile[b - 1], profile[b], profile[b + 1]];
    const bend = a - 2 * c + d;
    radii.push((b + (bend > 0 ? (0.5 * (a - d)) / bend : 0)) * RING_BIN);
  }
  const scale = roundAperture(radii);
  return scale === null ? { centre, radii, aperture: null } : {
    centre,
    radii: radii.map((_, n) => besselJ1Zero(n + 1) * scale),
    aperture: m / (2 * Math.PI * scale),
  };
}

/**
 * The scale s (pixels of the frame) that puts `radii` nearest j_1 s, j_2 s, ... by least squares,
 * or null for fewer than two radii or an RMS distance above {@link RING_FIT}.
 */
function roundAperture(radii: number[]): number | null {
  if (radii.length < 2) return null;
  const zeros = radii.map((_, n) => besselJ1Zero(n + 1));
  const scale = zeros.reduce((a, j, n) => a + j * radii[n], 0) /
    zeros.reduce((a, j) => a + j * j, 0);
  const rms = Math.sqrt(
    radii.reduce((a, r, n) => a + (r - zeros[n] * scale) ** 2, 0) / radii.length,
  );
  return rms <= RING_FIT ? scale : null;
}

/**
 * The n-th positive zero of the Bessel function J1 (n >= 1) by McMahon's expansion, b = (n + 1/4)
 * pi: b - 3 / (8 b) + 3 / (128 b^3) (within 2e-4 of 3.8317 for n = 1, closer beyond).
 */
export function besselJ1Zero(n: number): number {
  const b = (n + 0.25) * Math.PI;
  return b - 3 / (8 * b) + 3 / (128 * b ** 3);
}

/**
 * `probe` (M x M complex, far field centred in the frame) with its far field's sign changed at
 * each of the `rings`' edges about their centre: times -1 between the first and the second, and
 * so on, as an aperture's Fraunhofer pattern changes sign from ring to ring. The same power.
 */
export function withRingSigns(probe: Float32Array, m: number, rings: Rings): Float32Array {
  const { re, im } = spectrumOf(probe, m);
  const { centre, radii } = rings;
  for (let y = 0; y < m; y++) {
    const fy = frequency(y, m) * m - centre[0];
    for (let x = 0; x < m; x++) {
      const r = Math.hypot(fy, frequency(x, m) * m - centre[1]);
      let inside = 0;
      while (inside < radii.length && radii[inside] < r) inside++;
      if (inside % 2) [re[y * m + x], im[y * m + x]] = [-re[y * m + x], -im[y * m + x]];
    }
  }
  return toProbe(re, im, m);
}

/** A far field in FFT order back to an M x M complex probe centred in the frame (float32). */
function toProbe(re: Float64Array, im: Float64Array, m: number): Float32Array {
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
 * flat-phase estimate from `dataset` (far field), and, where {@link findRings} finds rings in its
 * far field, on the same estimate with their sign changes; returns the trial of lowest cost if
 * that is below {@link SEARCH_GAIN} of the flat phase's, else the flat phase. All in float64 on
 * the host from the same frames, so every process that runs it chooses alike. `central`: the
 * trial's frames (see {@link searchFrames}), read here when not given.
 */
export async function searchDefocus(
  dataset: Dataset,
  probe: Float32Array,
  central?: CentralFrames,
): Promise<DefocusChoice> {
  const m = dataset.frame;
  const frames = central ?? await readCentralFrames(dataset);
  const rings = findRings(probe, m, dataset.mask);
  const starts = [{ signed: false, probe, centre: [0, 0] as [number, number] }];
  if (rings.radii.length > 0) {
    starts.push({ signed: true, probe: withRingSigns(probe, m, rings), centre: rings.centre });
  }
  const trials: DefocusTrial[] = [];
  let crop = 0;
  let flat = Infinity;
  let refined = false;
  for (const start of starts) {
    const trial = DefocusTrialSet.create(dataset, start.probe, frames, SEARCH_SWEEPS, start.centre);
    crop = trial.crop;
    const cost = (curvature: number) => {
      const found = trials.find((t) => t.signed === start.signed && t.curvature === curvature);
      if (found) return found.cost;
      const c = trial.cost(curvature);
      trials.push({ curvature, signed: start.signed, cost: c });
      return c;
    };
    const unit = m / trial.f95;
    const ladder = [
      ...SEARCH_SPREADS.map((s) => -s * unit).reverse(),
      0,
      ...SEARCH_SPREADS.map((s) => s * unit),
    ];
    const costs = ladder.map(cost);
    if (!start.signed) flat = costs[ladder.indexOf(0)];
    const best = costs.indexOf(Math.min(...costs));
    // Only a curvature that will be kept needs refining: a rejected ladder stops there.
    if (costs[best] < SEARCH_GAIN * flat && costs[best] <= lowestCost(trials)) {
      refine(cost, ladder[Math.max(0, best - 1)], ladder[Math.min(ladder.length - 1, best + 1)]);
      refined = true;
    }
  }
  const lowest = trials.reduce((a, b) => (b.cost < a.cost ? b : a));
  const kept = refined && lowest.cost < SEARCH_GAIN * flat;
  const chosen = kept ? lowest : { curvature: 0, signed: false };
  const start = starts[chosen.signed ? 1 : 0];
  return {
    curvature: chosen.curvature,
    rings: chosen.signed ? rings : null,
    probe: chosen.curvature === 0
      ? start.probe.slice()
      : withCurvature(start.probe, m, chosen.curvature, start.centre),
    trials,
    crop,
  };
}

/** The lowest cost of `trials`. */
function lowestCost(trials: DefocusTrial[]): number {
  return Math.min(...trials.map((t) => t.cost));
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
