/**
 * The in-memory description of a ptychography data set that every part of Tessera shares: the
 * CXI reader produces it, the simulator produces it, the reconstruction consumes it.
 *
 * Frames are not held here: a {@link FrameSource} reads the frames of chosen positions on
 * demand (HDF5 hyperslabs for a file), so a worker loads only its own tile's frames.
 */

/** Experimental geometry, SI units. */
export interface Geometry {
  /** Radiation: `x-ray` (photons) or `electron` (relativistic de Broglie wavelength). */
  probeKind: "x-ray" | "electron";
  /** Source energy in joules (photon energy, or electron kinetic energy). */
  energyJ: number;
  /** Wavelength in metres, derived from the energy. */
  wavelength: number;
  /** Detector distance in metres. */
  distance: number;
  /** Detector pixel size in metres, x then y. */
  detectorPixel: [number, number];
  /**
   * Object pixel size dx in metres: lambda z / (M p) in far field, p / magnification in near
   * field, unless given by the file or the user.
   */
  objectPixel: number;
  /** How exit waves reach the detector; absent means far field. */
  propagation?: DetectorPropagation;
}

/**
 * Far field (Fourier transform, frames centred) or near field (angular spectrum over an
 * effective distance, frames not shifted; DESIGN section 7).
 */
export type DetectorPropagation =
  | { kind: "far" }
  | {
    kind: "near";
    /** Effective propagation distance z2 / magnification, metres. */
    distance: number;
    /** (z1 + z2) / z1 for a cone beam, 1 for a plane wave. */
    magnification: number;
    /** Focus-to-sample distance z1, metres, or null for a plane wave. */
    focusDistance: number | null;
  };

/** Reads measured intensities (counts) of chosen positions. */
export interface FrameSource {
  /**
   * Frames of `indices` (ascending or not) as one array, `indices.length` x M x M float32,
   * zero frequency at pixel (M/2, M/2), masked pixels as recorded, negative counts clipped to 0.
   */
  read(indices: ArrayLike<number>): Promise<Float32Array>;
  /** Releases files or handles held by the source. */
  close(): void;
}

/** A complex array with its shape: interleaved (re, im) float32 pairs, row-major. */
export interface ComplexArray {
  shape: number[];
  data: Float32Array;
}

/** A data set ready for reconstruction: geometry, scan in object pixels, and its frames. */
export interface Dataset {
  /** Where it came from: a file path, or `simulated:<preset>`. */
  source: string;
  /** Frame size M (frames are M x M). */
  frame: number;
  /** Number of scan positions N. */
  count: number;
  geometry: Geometry;
  /**
   * Scan positions in object pixels: the probe's centre pixel (M/2, M/2) sits on
   * (positionsY[j], positionsX[j]) of the object array. Already offset by the loader so that
   * every probe window lies inside the object with a margin.
   */
  positionsX: Float64Array;
  positionsY: Float64Array;
  /** Object array size [H, W] in pixels that holds every probe window with a margin. */
  objectShape: [number, number];
  /** Scan translations as recorded, metres, N x 2 interleaved (x, y): for the product file. */
  translations: Float64Array;
  /** Bad detector pixels (nonzero = bad), M x M, or null. */
  mask: Uint8Array | null;
  /** Initial probe, K x M x M complex, or null (the reconstruction starts one from the data). */
  illumination: ComplexArray | null;
  /**
   * The true scan positions (object pixels) of a simulated set whose recorded ones carry errors
   * (`simulate --position-error`), for metrics.
   */
  truePositions?: { y: Float64Array; x: Float64Array };
  /** Ground truth object S x H x W complex (simulated data only), for metrics. */
  groundTruth: ComplexArray | null;
  /** Distance between object slices in metres, for multislice ground truths and defaults. */
  sliceThickness: number | null;
  frames: FrameSource;
  /**
   * Negative counts (left by dark subtraction) the loader found while scanning every frame; the
   * frame source clips them to zero. Absent when the frames were not scanned.
   */
  clippedNegatives?: number;
}

/** A frame source over frames already in memory (simulated data, tests). */
export class MemoryFrames implements FrameSource {
  constructor(readonly frames: Float32Array, readonly frame: number) {}

  read(indices: ArrayLike<number>): Promise<Float32Array> {
    const size = this.frame * this.frame;
    const out = new Float32Array(indices.length * size);
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      if (!Number.isInteger(j) || j < 0 || (j + 1) * size > this.frames.length) {
        throw new RangeError(`Cannot read frame ${j}: the data set has ${this.count} frames`);
      }
      out.set(this.frames.subarray(j * size, (j + 1) * size), i * size);
    }
    return Promise.resolve(out);
  }

  get count(): number {
    return this.frames.length / (this.frame * this.frame);
  }

  close(): void {}
}

/**
 * The propagation to a near-field detector of a geometry (wavelength, effective distance, object
 * pixel), or null in far field.
 */
export function nearFieldOf(
  g: Geometry,
): { wavelength: number; distance: number; pixelSize: number } | null {
  if (g.propagation?.kind !== "near") return null;
  return { wavelength: g.wavelength, distance: g.propagation.distance, pixelSize: g.objectPixel };
}
