/** The initial probe of a run: the file's illumination, or one estimated from the frames. */
import { type ComplexArray, type Dataset, nearFieldOf } from "../data/dataset.ts";
import { fft2Reference, fftshift2 } from "../fft/reference.ts";
import { angularSpectrumKernel } from "../physics/fourier.ts";
import {
  type CentralFrames,
  type DefocusChoice,
  searchDefocus,
  searchFrames,
  searchPositions,
} from "./probe_search.ts";

/** Frames read per batch while averaging, bounding host memory for large files. */
const BATCH = 256;

/** The initial probe and the factor a given illumination was scaled by. */
export interface InitialProbe {
  /** K x M x M complex. */
  probe: ComplexArray;
  /**
   * The factor the file's illumination was multiplied by so that its power matches the data's
   * mean frame sum (1 when no illumination was given: the estimate is made at that scale).
   */
  rescale: number;
  /** What the defocus search chose for an estimated far-field probe; null where none ran. */
  defocus: DefocusChoice | null;
}

/**
 * Power of each mode {@link initialProbe} adds, as a fraction of the total: small, so the first
 * mode dominates, yet far from zero, where the gradient of a mode (proportional to the mode)
 * would vanish.
 */
export const ADDED_MODE_POWER = 0.05;

/**
 * How the mean frame is summed: over groups of positions (a run's tiles), each group's sums taken
 * in its own position order by the process that reads its frames, then added in group order. So
 * the bits depend on the groups alone, not on which processes (MPI ranks) read them, and each
 * process reads only its own groups' frames. One group of every position is the plain mean.
 */
export interface FrameGroups {
  /** Every group's positions; together they hold each position once. */
  groups: readonly ArrayLike<number>[];
  /** The groups this process reads, ascending. */
  local: readonly number[];
  /**
   * Every group's vector (given here for `local`), added element by element in ascending group
   * order, on every process.
   */
  reduce(parts: ReadonlyMap<number, Float64Array>): Promise<Float64Array>;
}

/** Every position in one group, read here. */
export function oneGroup(dataset: Pick<Dataset, "count">): FrameGroups {
  return {
    groups: [Array.from({ length: dataset.count }, (_, j) => j)],
    local: [0],
    reduce: (parts) => Promise.resolve(parts.get(0)!.slice()),
  };
}

/**
 * The probe to start from, K x M x M complex: the file's illumination rescaled to the data (see
 * {@link InitialProbe.rescale}; another program's FFT normalisation or units change only the
 * overall scale), or with none {@link estimateProbe}'s, and modes beyond those given from
 * {@link addedModes}. The added modes take their power from the given ones, so the total still
 * matches the data. An estimate in far field takes the curvature `searchDefocus` finds, unless
 * `defocusSearch` is false.
 */
export async function initialProbe(
  dataset: Dataset,
  modes: number,
  groups: FrameGroups = oneGroup(dataset),
  { defocusSearch = true }: { defocusSearch?: boolean } = {},
): Promise<InitialProbe> {
  const m = dataset.frame;
  const size = 2 * m * m;
  const given = dataset.illumination;
  const have = given ? Math.min(modes, given.shape.length === 3 ? given.shape[0] : 1) : 0;
  const out = new Float32Array(modes * size);
  const search = have === 0 && defocusSearch && !nearFieldOf(dataset.geometry);
  const mean = await meanFrame(dataset, groups, search);
  let rescale = 1;
  if (given) {
    const kept = given.data.subarray(0, have * size);
    let power = 0;
    for (let i = 0; i < kept.length; i++) power += kept[i] * kept[i];
    rescale = power > 0 ? Math.sqrt(mean.sum / power) : 1;
    for (let i = 0; i < kept.length; i++) out[i] = kept[i] * rescale;
  }
  let defocus: DefocusChoice | null = null;
  if (have === 0) {
    const estimate = probeFromMean(dataset, mean);
    if (search) {
      defocus = await searchDefocus(dataset, estimate, mean.central!);
      out.set(defocus.probe);
    } else out.set(estimate);
  }
  if (modes > Math.max(have, 1)) addedModes(out, Math.max(have, 1), modes, m);
  return { probe: { shape: [modes, m, m], data: out }, rescale, defocus };
}

/**
 * Fills modes `from`..`modes - 1` of `probe` (K x M x M complex, in place): mode 0 times the
 * Hermite polynomials He_a(u) He_b(v) of rising order a + b >= 1 (x, y, xy, x^2 - 1, ...), u and v
 * the pixel's offset from mode 0's centroid in units of its RMS radius, each orthogonalised
 * against every mode before it (Gram-Schmidt) and given {@link ADDED_MODE_POWER} of the total;
 * the first `from` modes are scaled down to keep the total. Weaker copies of mode 0 (the start
 * before) lie parallel to it, and so do their gradients (each mode's is sum conj(O) chi_k with
 * chi_k proportional to its own exit wave): refinement then only slowly breaks the symmetry.
 */
export function addedModes(probe: Float32Array, from: number, modes: number, m: number): void {
  const n = m * m;
  const mode = (k: number) => Float64Array.from(probe.subarray(2 * k * n, 2 * (k + 1) * n));
  const basis = Array.from({ length: from }, (_, k) => mode(k));
  const first = basis[0];
  let total = 0, cy = 0, cx = 0;
  for (const b of basis) for (let q = 0; q < n; q++) total += b[2 * q] ** 2 + b[2 * q + 1] ** 2;
  let p0 = 0;
  for (let q = 0; q < n; q++) {
    const w = first[2 * q] ** 2 + first[2 * q + 1] ** 2;
    p0 += w;
    cy += w * Math.floor(q / m);
    cx += w * (q % m);
  }
  if (!(p0 > 0)) return;
  [cy, cx] = [cy / p0, cx / p0];
  let spread = 0;
  for (let q = 0; q < n; q++) {
    const w = first[2 * q] ** 2 + first[2 * q + 1] ** 2;
    spread += w * ((Math.floor(q / m) - cy) ** 2 + (q % m - cx) ** 2);
  }
  const radius = Math.sqrt(spread / p0) || 1;
  const orders = hermiteOrders(modes - from);
  const added: Float64Array[] = [];
  for (const [a, b] of orders) {
    const v = new Float64Array(2 * n);
    for (let q = 0; q < n; q++) {
      const h = hermite(a, (q % m - cx) / radius) * hermite(b, (Math.floor(q / m) - cy) / radius);
      v[2 * q] = first[2 * q] * h;
      v[2 * q + 1] = first[2 * q + 1] * h;
    }
    for (const u of [...basis, ...added]) project(v, u);
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    added.push(norm > 0 ? v.map((x) => x / norm) : v);
  }
  const keep = Math.sqrt(Math.max(0, 1 - ADDED_MODE_POWER * added.length));
  for (let i = 0; i < 2 * from * n; i++) probe[i] *= keep;
  const scale = Math.sqrt(ADDED_MODE_POWER * total);
  for (const [k, v] of added.entries()) {
    for (let i = 0; i < 2 * n; i++) probe[2 * (from + k) * n + i] = v[i] * scale;
  }
}

/** The first `count` (a, b) with a + b = 1, 2, ... in turn, x's order falling within each. */
function hermiteOrders(count: number): [number, number][] {
  const out: [number, number][] = [];
  for (let order = 1; out.length < count; order++) {
    for (let a = order; a >= 0 && out.length < count; a--) out.push([a, order - a]);
  }
  return out;
}

/** The probabilists' Hermite polynomial He_k(t): 1, t, t^2 - 1, t^3 - 3t, ... */
function hermite(k: number, t: number): number {
  let [previous, current] = [1, t];
  if (k === 0) return 1;
  for (let j = 1; j < k; j++) [previous, current] = [current, t * current - j * previous];
  return current;
}

/** v -= (<u, v> / <u, u>) u, complex interleaved. */
function project(v: Float64Array, u: Float64Array): void {
  let uu = 0, re = 0, im = 0;
  for (let i = 0; i < u.length; i += 2) {
    uu += u[i] ** 2 + u[i + 1] ** 2;
    re += u[i] * v[i] + u[i + 1] * v[i + 1];
    im += u[i] * v[i + 1] - u[i + 1] * v[i];
  }
  if (!(uu > 0)) return;
  [re, im] = [re / uu, im / uu];
  for (let i = 0; i < u.length; i += 2) {
    const [a, b] = [u[i], u[i + 1]];
    v[i] -= re * a - im * b;
    v[i + 1] -= re * b + im * a;
  }
}

/** The mean measured amplitude per pixel (0 on masked pixels) and the mean frame sum. */
interface MeanFrame {
  amplitude: Float64Array;
  /** Mean over frames of the counts summed over unmasked pixels. */
  sum: number;
  /** The defocus search's frames, when asked for (null otherwise). */
  central: CentralFrames | null;
}

/**
 * The mean frame from its groups' sums: per pixel the amplitude, then the counts (see
 * FrameGroups); with `central`, the defocus search's frames too, cut where their group's frames
 * are read (each in its own slot, zero in every other group's part, so the sum is exact and every
 * process gets them without reading frames of other groups).
 */
async function meanFrame(
  dataset: Dataset,
  groups: FrameGroups,
  central = false,
): Promise<MeanFrame> {
  const m = dataset.frame;
  const pixels = m * m;
  const slots = central ? new Map(searchPositions(dataset).map((j, k) => [j, k])) : null;
  const parts = new Map<number, Float64Array>();
  for (const g of groups.local) parts.set(g, await groupSums(dataset, groups.groups[g], slots));
  const sums = await groups.reduce(parts);
  const amplitude = sums.subarray(0, pixels).map((a) => a / dataset.count);
  return {
    amplitude,
    sum: sums[pixels] / dataset.count,
    central: slots ? searchFrames.of(m, sums.slice(pixels + 1)) : null,
  };
}

/**
 * Sums over `positions`' frames, in their order: each pixel's amplitude, then all counts; then
 * the defocus search's frames among them in their `slots` (none without).
 */
async function groupSums(
  dataset: Dataset,
  positions: ArrayLike<number>,
  slots: Map<number, number> | null,
): Promise<Float64Array> {
  const m = dataset.frame;
  const pixels = m * m;
  const extra = slots ? searchFrames.length(m, dataset.count) : 0;
  const sums = new Float64Array(pixels + 1 + extra);
  const cut = sums.subarray(pixels + 1);
  let total = 0;
  for (let start = 0; start < positions.length; start += BATCH) {
    const indices = Array.from(
      { length: Math.min(BATCH, positions.length - start) },
      (_, i) => positions[start + i],
    );
    const frames = await dataset.frames.read(indices);
    for (const [i, j] of indices.entries()) {
      const slot = slots?.get(j);
      if (slot !== undefined) {
        searchFrames.cut(frames.subarray(i * pixels, (i + 1) * pixels), m, cut, slot);
      }
    }
    for (let i = 0; i < frames.length; i++) {
      const q = i % pixels;
      if (dataset.mask?.[q]) continue;
      sums[q] += Math.sqrt(Math.max(0, frames[i]));
      total += Math.max(0, frames[i]);
    }
  }
  sums[pixels] = total;
  return sums;
}

/**
 * A probe estimated from the data, scaled so that its power equals the mean counts per frame (an
 * object of modulus 1 then predicts the measured total intensity); masked pixels are left out of
 * the mean. Far field: the inverse FFT of the mean diffraction amplitude, centred in the frame.
 * Near field: the mean frame's amplitude (with flat phase) propagated back to the sample plane,
 * by the conjugate angular-spectrum kernel.
 */
export async function estimateProbe(dataset: Dataset): Promise<Float32Array> {
  return probeFromMean(dataset, await meanFrame(dataset, oneGroup(dataset)));
}

function probeFromMean(dataset: Dataset, mean: MeanFrame): Float32Array {
  const m = dataset.frame;
  const pixels = m * m;
  const re = mean.amplitude.slice();
  const im = new Float64Array(pixels);
  const near = nearFieldOf(dataset.geometry);
  if (near) {
    fft2Reference(re, im, m, 1, false);
    const h = angularSpectrumKernel(m, near);
    for (let i = 0; i < pixels; i++) {
      const [a, b, c, d] = [re[i], im[i], h[2 * i], -h[2 * i + 1]];
      re[i] = a * c - b * d;
      im[i] = a * d + b * c;
    }
    fft2Reference(re, im, m, 1, true);
  } else {
    // Frames hold zero frequency at (M/2, M/2): shift it to (0, 0), transform, centre the probe.
    fftshift2(re, im, m, 1);
    fft2Reference(re, im, m, 1, true);
    fftshift2(re, im, m, 1);
  }
  let power = 0;
  for (let i = 0; i < pixels; i++) power += re[i] ** 2 + im[i] ** 2;
  const scale = power > 0 ? Math.sqrt(mean.sum / power) : 0;
  const probe = new Float32Array(2 * pixels);
  for (let i = 0; i < pixels; i++) {
    probe[2 * i] = re[i] * scale;
    probe[2 * i + 1] = im[i] * scale;
  }
  return probe;
}
