/**
 * `simulateDataset`: a complete simulated data set (geometry, scan, Poisson frames, ground truth)
 * from one of the presets `siemens` (X-ray, 2D or multislice star), `smooth` (X-ray, a smooth
 * random complex object, as in PtyPy's far-field simulations), `pbtio3` (electron multislice
 * through a perovskite crystal, defocused probe) and `nearfield` (X-ray near-field ptychography
 * of a star with a structured beam filling most of the frame).
 *
 * @module
 */
import { type Dataset, MemoryFrames } from "../data/dataset.ts";
import {
  electronVolts,
  interactionConstant,
  objectPixelSize,
  type ProbeKind,
  wavelength as wavelengthOf,
} from "../physics/geometry.ts";
import { POSITION_SHIFT_LIMIT } from "../physics/positions.ts";
import { type ModelOptions, ReferenceModel } from "../physics/reference.ts";
import { perovskitePotential, siemensStar, smoothRandomObject, transmission } from "./phantoms.ts";
import { focusedProbe, fresnelDisk, structuredBeam } from "./probes.ts";
import { Random } from "./random.ts";
import { fermatSpiral, placeScan, raster } from "./scans.ts";

/** The built-in simulated data sets. */
export type Preset = "siemens" | "smooth" | "pbtio3" | "nearfield";

/** The presets' names, for command-line validation. */
export const PRESETS: readonly Preset[] = ["siemens", "smooth", "pbtio3", "nearfield"];

/**
 * Computes model intensities N x M x M (zero frequency at (M/2, M/2)) of a model; lets a GPU
 * simulate sets too large for the CPU reference.
 */
export type ForwardModel = (input: {
  model: ModelOptions;
  object: Float64Array;
  probe: Float64Array;
}) => Promise<ArrayLike<number>>;

/** Options of {@link simulateDataset}; everything but the preset has a default. */
export interface SimulateOptions {
  preset: Preset;
  /** Frame size M (default 64). */
  frame?: number;
  /** Number of scan positions (default: siemens 100, pbtio3 64). */
  positions?: number;
  /** Object slices (default: siemens 1, pbtio3 4). */
  slices?: number;
  /** Scan pattern (default: siemens `fermat`, pbtio3 `raster`). */
  scan?: "fermat" | "raster";
  /**
   * Scan step in object pixels: a Fermat spiral's radial step c (point n at radius c sqrt(n);
   * neighbours sit about 1.7 c apart), a raster's spacing (default: a sixth of the probe's
   * diameter, a third for raster).
   */
  step?: number;
  /** Mean counts per frame, photons or electrons (default: siemens 1e6, pbtio3 1e5). */
  counts?: number;
  /** `poisson` (default) or `none` for the exact intensities. */
  noise?: "poisson" | "none";
  /** Distance between slices, metres (default: siemens 10 dx^2 / lambda, pbtio3 one cell). */
  sliceThickness?: number;
  /** Electron probe (pbtio3): convergence semi-angle, radians (default 0.02, i.e. 20 mrad). */
  semiAngle?: number;
  /**
   * Electron probe (pbtio3): defocus, metres (default: the probe's geometric shadow spans a
   * third of the frame, 2 alpha df = M dx / 3).
   */
  defocus?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /**
   * Errors of the recorded positions, RMS object pixels (2D): the frames are simulated at the
   * true positions, the data set records them moved by seeded Gaussian errors (mean removed,
   * scaled to this RMS, each component within POSITION_SHIFT_LIMIT) and keeps the true ones as
   * `truePositions`. When given (0 included) the object gets 2 POSITION_SHIFT_LIMIT more margin
   * on each side, so that files with and without errors share object, probe and noise.
   */
  positionError?: number;
  /**
   * Probe modes K of a partially coherent beam (default 1): the beam seen from K points of an
   * extended source, see {@link partiallyCoherent}.
   */
  probeModes?: number;
  /** Computes the intensities instead of the CPU reference model. */
  forward?: ForwardModel;
}

/** A simulated data set and what produced it. */
export interface SimulatedDataset {
  dataset: Dataset;
  /** The true object S x H x W and probe K x M x M, interleaved complex float64. */
  truth: { object: Float64Array; probe: Float64Array };
  /** The forward model's options (sizes, scan, propagation). */
  model: ModelOptions;
}

const DETECTOR_PIXEL = 75e-6;
/**
 * Near field (plane wave): the detector's pixel is the object's, 0.5 um (a scintillator imaged by
 * a microscope), and the distance gives z lambda / dx^2 = 40, a Fresnel number of M^2 / 40 per
 * frame (102 at 64 px; P25 has 900 over 100 px). Closer (z lambda / dx^2 = 6) the phase contrast
 * of low frequencies is so weak that cg with the probe known reached 18.6 dB in 50 iterations
 * (16: 30.8 dB, 40: 34.5 dB, frame 64, 100 positions).
 */
const NEAR_FIELD = { pixel: 5e-7, fresnelScale: 40, beamDiameter: 0.84, roughness: 2 };
/** Diameter of the defocused probe disk as a fraction of the frame. */
const PROBE_DIAMETER = 1 / 3;
/** The aperture passes this fraction of the frame's Nyquist frequency. */
const APERTURE_FILL = 0.3;
const MARGIN = 4;
/** The smooth object's correlation length is the frame over this (4 pixels at frame 128). */
const SMOOTH_CORRELATION = 32;

/**
 * Simulates a data set: object, probe, scan, frames (with Poisson noise), geometry and ground
 * truth. The CPU model is used unless `forward` is given, so paper-sized sets (462 positions,
 * 1024 x 1024 x 100) want a GPU forward model.
 *
 * @example
 * ```ts
 * const { dataset, truth } = await simulateDataset({ preset: "siemens", frame: 32, positions: 50 });
 * ```
 */
export async function simulateDataset(options: SimulateOptions): Promise<SimulatedDataset> {
  const electron = options.preset === "pbtio3";
  const near = options.preset === "nearfield";
  const frame = options.frame ?? 64;
  if (!Number.isInteger(Math.log2(frame)) || frame < 8) {
    throw new RangeError(`Expected a frame size that is a power of two >= 8, got ${frame}`);
  }
  const count = options.positions ?? (electron ? 64 : 100);
  const slices = options.slices ?? (electron ? 4 : 1);
  const counts = options.counts ?? (electron ? 1e5 : 1e6);
  const rng = new Random(options.seed ?? 1);

  const kind: ProbeKind = electron ? "electron" : "x-ray";
  const energyJ = electronVolts(electron ? 300e3 : 8e3);
  const lambda = wavelengthOf(kind, energyJ);
  // X-rays: the pixel follows from a 2 m detector distance; electrons: the camera length is
  // chosen so that the aperture fills 30% of Nyquist (a 0.15 Angstrom pixel at 20 mrad).
  const semiAngle = options.semiAngle ?? 0.02;
  const dx = electron
    ? (APERTURE_FILL * lambda) / (2 * semiAngle)
    : near
    ? NEAR_FIELD.pixel
    : objectPixelSize({ wavelength: lambda, distance: 2, detectorPixel: DETECTOR_PIXEL, frame });
  const distance = near
    ? NEAR_FIELD.fresnelScale * dx * dx / lambda
    : (dx * frame * DETECTOR_PIXEL) / lambda;
  const diameter = (near ? NEAR_FIELD.beamDiameter : PROBE_DIAMETER) * frame;
  const radius = diameter / 2;
  const coherent = near
    ? structuredBeam({
      frame,
      radius,
      pixelSize: dx,
      wavelength: lambda,
      // Fresnel number r^2 / (lambda z) = 3 from the screen to the sample: fringes, no caustics.
      distance: (radius * dx) ** 2 / (3 * lambda),
      counts,
      roughness: NEAR_FIELD.roughness,
      rng,
    })
    : electron
    ? focusedProbe({
      frame,
      pixelSize: dx,
      wavelength: lambda,
      semiAngle,
      // The geometric shadow of the aperture at defocus df has diameter 2 alpha df.
      defocus: options.defocus ?? (diameter * dx) / (2 * semiAngle),
      counts,
    })
    : fresnelDisk({
      frame,
      radius,
      pixelSize: dx,
      wavelength: lambda,
      // Fresnel number r^2 / (lambda z) = 1: edge fringes and a curved phase, a realistic beam
      // that a reconstruction started from a blurred disk can still find.
      distance: (radius * dx) ** 2 / lambda,
      counts,
    });

  const pattern = options.scan ?? (electron ? "raster" : "fermat");
  const step = options.step ?? diameter / (pattern === "fermat" ? 6 : 3);
  const errors = options.positionError === undefined
    ? null
    : positionErrors(count, options.positionError, options.seed ?? 1);
  const scan = placeScan(
    pattern === "fermat" ? fermatSpiral({ count, step }) : raster({ count, step }),
    frame,
    MARGIN + (errors ? 2 * POSITION_SHIFT_LIMIT : 0),
  );
  const [h, w] = scan.shape;
  const sliceThickness = options.sliceThickness ??
    (electron ? 3.9e-10 : (10 * dx * dx) / lambda);

  const object = new Float64Array(2 * slices * h * w);
  if (electron) {
    const potential = perovskitePotential({
      shape: scan.shape,
      slices,
      pixelSize: dx,
      lattice: 3.9e-10,
      thermal: 0.08e-10,
      rng,
    });
    object.set(transmission(potential, interactionConstant(energyJ)));
  } else if (options.preset === "smooth") {
    for (let s = 0; s < slices; s++) {
      const field = smoothRandomObject({
        shape: scan.shape,
        correlation: frame / SMOOTH_CORRELATION,
        phase: 1 / slices,
        absorption: 0.2 / slices,
        rng,
      });
      object.set(field, 2 * s * h * w);
    }
  } else {
    for (let s = 0; s < slices; s++) {
      const star = siemensStar({
        shape: scan.shape,
        radius: Math.min(h, w) / 2 - MARGIN,
        spokes: 16,
        phase: 1 / slices,
        absorption: 0.1 / slices,
        // Each slice turns by a fraction of a spoke so that slices differ.
        rotation: (s * Math.PI) / (16 * slices),
      });
      object.set(star, 2 * s * h * w);
    }
  }

  const modes = options.probeModes ?? 1;
  const probe = partiallyCoherent(coherent, frame, modes);
  const model: ModelOptions = {
    frame,
    objectShape: scan.shape,
    slices,
    modes,
    positionsX: scan.x,
    positionsY: scan.y,
    propagation: { wavelength: lambda, sliceThickness, pixelSize: dx },
    nearField: near ? { wavelength: lambda, distance, pixelSize: dx } : null,
  };
  const exact = options.forward
    ? await options.forward({ model, object, probe })
    : new ReferenceModel(model).intensities(object, probe);
  const frames = new Float32Array(exact.length);
  const noisy = (options.noise ?? "poisson") === "poisson";
  for (let i = 0; i < frames.length; i++) {
    frames[i] = noisy ? rng.poisson(Math.max(0, exact[i])) : exact[i];
  }

  // The recorded positions: the true ones, or those moved by the errors.
  const positionsX = errors ? scan.x.map((v, j) => v + errors.x[j]) : scan.x;
  const positionsY = errors ? scan.y.map((v, j) => v + errors.y[j]) : scan.y;
  const translations = new Float64Array(2 * count);
  for (let j = 0; j < count; j++) {
    translations[2 * j] = (positionsX[j] - scan.offset[1]) * dx;
    translations[2 * j + 1] = (positionsY[j] - scan.offset[0]) * dx;
  }
  const dataset: Dataset = {
    source: `simulated:${options.preset}`,
    frame,
    count,
    geometry: {
      probeKind: kind,
      energyJ,
      wavelength: lambda,
      distance,
      detectorPixel: near ? [dx, dx] : [DETECTOR_PIXEL, DETECTOR_PIXEL],
      objectPixel: dx,
      propagation: near
        ? { kind: "near", distance, magnification: 1, focusDistance: null }
        : { kind: "far" },
    },
    positionsX,
    positionsY,
    objectShape: scan.shape,
    translations,
    ...(errors ? { truePositions: { y: scan.y, x: scan.x } } : {}),
    mask: null,
    illumination: { shape: [modes, frame, frame], data: Float32Array.from(probe) },
    groundTruth: { shape: [slices, h, w], data: Float32Array.from(object) },
    sliceThickness: slices > 1 ? sliceThickness : null,
    frames: new MemoryFrames(frames, frame),
  };
  return { dataset, truth: { object, probe }, model };
}

/**
 * Tilts of the added source points, in detector pixels of the far field (a tilt of the beam by
 * t pixels shifts its diffraction pattern by t pixels).
 */
const SOURCE_TILT = 0.5;
/** Power of each added source point relative to the central one. */
const SOURCE_WEIGHT = 0.3;

/**
 * A partially coherent beam as K mutually incoherent modes (their intensities add): the coherent
 * probe seen from the source's centre and, for k >= 1, from points around it, each a copy
 * tilted by {@link SOURCE_TILT} pixel in the direction 2 pi (k - 1) / (K - 1) (a phase ramp) and
 * of {@link SOURCE_WEIGHT} of the centre's power; the total power is the coherent probe's. The
 * modes are not orthogonal; any unitary mixing of them describes the same beam.
 */
export function partiallyCoherent(probe: Float64Array, m: number, modes: number): Float64Array {
  if (!Number.isInteger(modes) || modes < 1) {
    throw new RangeError(`Expected 1 or more probe modes, got ${modes}`);
  }
  const n = m * m;
  const out = new Float64Array(2 * modes * n);
  const weights = Array.from({ length: modes }, (_, k) => (k === 0 ? 1 : SOURCE_WEIGHT));
  const total = weights.reduce((a, v) => a + v, 0);
  for (let k = 0; k < modes; k++) {
    const angle = modes > 1 ? (2 * Math.PI * (k - 1)) / (modes - 1) : 0;
    const [ty, tx] = k === 0
      ? [0, 0]
      : [SOURCE_TILT * Math.sin(angle), SOURCE_TILT * Math.cos(angle)];
    const amplitude = Math.sqrt(weights[k] / total);
    for (let q = 0; q < n; q++) {
      const phase = (2 * Math.PI * (ty * Math.floor(q / m) + tx * (q % m))) / m;
      const [c, s] = [amplitude * Math.cos(phase), amplitude * Math.sin(phase)];
      const [a, b] = [probe[2 * q], probe[2 * q + 1]];
      out[2 * (k * n + q)] = a * c - b * s;
      out[2 * (k * n + q) + 1] = a * s + b * c;
    }
  }
  return out;
}

/**
 * Seeded position errors of RMS `rms` pixels: Gaussian in each axis, their mean removed, scaled
 * to the RMS exactly, each component kept within POSITION_SHIFT_LIMIT. Drawn from their own
 * generator so that the rest of the data set does not depend on them.
 */
function positionErrors(
  count: number,
  rms: number,
  seed: number,
): { y: Float64Array; x: Float64Array } {
  if (!(rms >= 0) || !Number.isFinite(rms)) {
    throw new RangeError(`Expected a position error of 0 or more pixels, got ${rms}`);
  }
  const rng = new Random(seed + 0x5eed);
  const y = Float64Array.from({ length: count }, () => rng.normal());
  const x = Float64Array.from({ length: count }, () => rng.normal());
  const my = y.reduce((a, v) => a + v, 0) / count, mx = x.reduce((a, v) => a + v, 0) / count;
  let sum = 0;
  for (let j = 0; j < count; j++) {
    y[j] -= my;
    x[j] -= mx;
    sum += y[j] ** 2 + x[j] ** 2;
  }
  const scale = sum > 0 ? rms / Math.sqrt(sum / count) : 0;
  const limit = (v: number) => Math.max(-POSITION_SHIFT_LIMIT, Math.min(POSITION_SHIFT_LIMIT, v));
  return { y: y.map((v) => limit(v * scale)), x: x.map((v) => limit(v * scale)) };
}
