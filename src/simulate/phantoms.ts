/**
 * Test objects: a Siemens star (X-ray phase object, as in PtyGer's synthetic data), a smooth
 * random complex object (as PtyPy's far-field simulations use) and a PbTiO3-like perovskite
 * crystal for electron multislice.
 *
 * @module
 */
import type { Random } from "./random.ts";

/** Options of {@link siemensStar}. */
export interface SiemensStarOptions {
  /** Object size [H, W]. */
  shape: [number, number];
  /** Radius of the star, pixels; it sits at the object's centre. */
  radius: number;
  /** Number of opaque spokes. */
  spokes: number;
  /** Phase shift of a spoke, radians. */
  phase: number;
  /** Amplitude absorbed by a spoke: the spoke's transmission modulus is 1 - absorption. */
  absorption: number;
  /** Rotation of the pattern, radians (distinct slices of a multislice star). */
  rotation?: number;
}

/**
 * A Siemens star: `spokes` wedges and, inside, two rings, as a complex transmission
 * (1 - a t) exp(i phase t) with t the spoke coverage of each pixel (4 x 4 supersampled, so edges
 * are antialiased and the object is nearly band-limited). H x W interleaved complex.
 *
 * @example
 * ```ts
 * const o = siemensStar({ shape: [128, 128], radius: 50, spokes: 16, phase: 1, absorption: 0.1 });
 * ```
 */
export function siemensStar(o: SiemensStarOptions): Float64Array {
  const [h, w] = o.shape;
  const cy = h / 2;
  const cx = w / 2;
  const rotation = o.rotation ?? 0;
  const out = new Float64Array(2 * h * w);
  const sub = 4;
  const inside = (y: number, x: number) => {
    const r = Math.hypot(y, x);
    if (r > o.radius) return 0;
    // Rings at 30% and 60% of the radius, a few pixels wide, break the star's self-similarity.
    const ring = Math.abs(r - 0.3 * o.radius) < 1.5 || Math.abs(r - 0.6 * o.radius) < 1.5;
    const angle = Math.atan2(y, x) + rotation;
    const spoke = Math.cos(o.spokes * angle) > 0;
    return spoke !== ring ? 1 : 0;
  };
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let t = 0;
      for (let a = 0; a < sub; a++) {
        for (let b = 0; b < sub; b++) {
          t += inside(y + (a + 0.5) / sub - 0.5 - cy, x + (b + 0.5) / sub - 0.5 - cx);
        }
      }
      t /= sub * sub;
      const modulus = 1 - o.absorption * t;
      out[2 * (y * w + x)] = modulus * Math.cos(o.phase * t);
      out[2 * (y * w + x) + 1] = modulus * Math.sin(o.phase * t);
    }
  }
  return out;
}

/** Options of {@link smoothRandomObject}. */
export interface SmoothRandomOptions {
  /** Object size [H, W]. */
  shape: [number, number];
  /** Correlation length: standard deviation of the Gaussian smoothing, pixels. */
  correlation: number;
  /** Peak-to-peak phase, radians. */
  phase: number;
  /** Peak-to-peak absorption: the modulus spans 1 - absorption .. 1. */
  absorption: number;
  rng: Random;
}

/**
 * A smooth random complex transmission: two independent fields of white Gaussian noise, each
 * smoothed by a Gaussian of `correlation` pixels and stretched to [0, 1], give the phase
 * (`phase` t) and the modulus (1 - `absorption` u). H x W interleaved complex.
 *
 * @example
 * ```ts
 * const o = smoothRandomObject({ shape: [200, 200], correlation: 4, phase: 1, absorption: 0.2,
 *   rng: new Random(1) });
 * ```
 */
export function smoothRandomObject(o: SmoothRandomOptions): Float64Array {
  const [h, w] = o.shape;
  const t = smoothField(o.shape, o.correlation, o.rng);
  const u = smoothField(o.shape, o.correlation, o.rng);
  const out = new Float64Array(2 * h * w);
  for (let i = 0; i < h * w; i++) {
    const modulus = 1 - o.absorption * u[i];
    out[2 * i] = modulus * Math.cos(o.phase * t[i]);
    out[2 * i + 1] = modulus * Math.sin(o.phase * t[i]);
  }
  return out;
}

/** White Gaussian noise blurred by a separable Gaussian of `sigma` pixels, stretched to [0, 1]. */
function smoothField(shape: [number, number], sigma: number, rng: Random): Float64Array {
  const [h, w] = shape;
  const reach = Math.ceil(3 * sigma);
  const kernel = Array.from(
    { length: 2 * reach + 1 },
    (_, k) => Math.exp(-((k - reach) ** 2) / (2 * sigma * sigma)),
  );
  const noise = Float64Array.from({ length: h * w }, () => rng.normal());
  const rows = new Float64Array(h * w);
  const out = new Float64Array(h * w);
  // Edges repeat the nearest pixel, so the field keeps its statistics up to the border.
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -reach; k <= reach; k++) {
        sum += kernel[k + reach] * noise[y * w + clamp(x + k, w)];
      }
      rows[y * w + x] = sum;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let k = -reach; k <= reach; k++) {
        sum += kernel[k + reach] * rows[clamp(y + k, h) * w + x];
      }
      out[y * w + x] = sum;
    }
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of out) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return out.map((v) => (v - lo) / (hi - lo || 1));
}

/** Atomic number and fractional position (x, y, z) in the cubic cell of PbTiO3's atoms. */
const PEROVSKITE_ATOMS: [number, number, number, number][] = [
  [82, 0, 0, 0], // Pb at the corner
  [22, 0.5, 0.5, 0.5], // Ti at the body centre
  [8, 0.5, 0.5, 0], // O at the face centres
  [8, 0.5, 0, 0.5],
  [8, 0, 0.5, 0.5],
];

/** Options of {@link perovskitePotential}. */
export interface PerovskiteOptions {
  /** Object size [H, W]. */
  shape: [number, number];
  /** Number of slices S; each holds one unit cell along the beam. */
  slices: number;
  /** Object pixel size, metres. */
  pixelSize: number;
  /** Lattice constant, metres (PbTiO3: about 3.9e-10). */
  lattice: number;
  /** Root-mean-square thermal displacement of each atom, metres (a frozen phonon). */
  thermal: number;
  rng: Random;
}

/**
 * Projected potential (volt metres) of each slice of a [001]-oriented PbTiO3-like crystal,
 * S x H x W real. Each atom is a Gaussian of width 0.25 Angstrom (core plus smearing) whose
 * integral grows as Z^0.67 (a rough fit to tabulated projected potentials); every slice draws its
 * own random thermal displacements, so slices differ and depth is recoverable.
 */
export function perovskitePotential(o: PerovskiteOptions): Float64Array {
  const [h, w] = o.shape;
  const out = new Float64Array(o.slices * h * w);
  const width = 0.25e-10 / o.pixelSize;
  const reach = Math.ceil(4 * width);
  // A Pb column of one atom per cell peaks near 600 V Angstrom (6e-8 V m): ~0.4 rad at 300 kV.
  const peak = (z: number) => 6e-8 * (z / 82) ** 0.67;
  const cell = o.lattice / o.pixelSize;
  const jitter = o.thermal / o.pixelSize;
  for (let s = 0; s < o.slices; s++) {
    const plane = { base: s * h * w, shape: o.shape, width, reach };
    for (let cy = -1; cy * cell < h + cell; cy++) {
      for (let cx = -1; cx * cell < w + cell; cx++) {
        for (const [z, fx, fy] of PEROVSKITE_ATOMS) {
          const y = (cy + fy) * cell + jitter * o.rng.normal();
          const x = (cx + fx) * cell + jitter * o.rng.normal();
          addAtom(out, plane, { y, x, peak: peak(z) });
        }
      }
    }
  }
  return out;
}

/** Adds one atom, a Gaussian of `width` pixels cut at `reach`, to plane `base` of `out`. */
function addAtom(
  out: Float64Array,
  plane: { base: number; shape: [number, number]; width: number; reach: number },
  atom: { y: number; x: number; peak: number },
): void {
  const [h, w] = plane.shape;
  const { reach, width } = plane;
  const y0 = Math.max(0, Math.floor(atom.y) - reach);
  const y1 = Math.min(h - 1, Math.floor(atom.y) + reach);
  const x0 = Math.max(0, Math.floor(atom.x) - reach);
  const x1 = Math.min(w - 1, Math.floor(atom.x) + reach);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const r2 = (y - atom.y) ** 2 + (x - atom.x) ** 2;
      out[plane.base + y * w + x] += atom.peak * Math.exp(-r2 / (2 * width * width));
    }
  }
}

/** Transmission exp(i sigma V) of a projected potential V (volt metres), interleaved complex. */
export function transmission(potential: Float64Array, sigma: number): Float64Array {
  const out = new Float64Array(2 * potential.length);
  for (let i = 0; i < potential.length; i++) {
    out[2 * i] = Math.cos(sigma * potential[i]);
    out[2 * i + 1] = Math.sin(sigma * potential[i]);
  }
  return out;
}
