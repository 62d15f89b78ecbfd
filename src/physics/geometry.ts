/**
 * Experimental geometry: wavelengths from source energies, the object pixel size of far-field
 * ptychography and the electron interaction constant. SI units throughout.
 *
 * Constants are CODATA 2018 (h, c and e exact since the 2019 SI redefinition; m_e as published).
 */

/** Planck constant h, J s (exact). */
export const PLANCK = 6.62607015e-34;
/** Speed of light in vacuum c, m/s (exact). */
export const SPEED_OF_LIGHT = 299792458;
/** Elementary charge e, C (exact). */
export const ELEMENTARY_CHARGE = 1.602176634e-19;
/** Electron rest mass m_e, kg (CODATA 2018). */
export const ELECTRON_MASS = 9.1093837015e-31;

/** The kind of radiation, as NeXus `NXsource/probe` names it. */
export type ProbeKind = "x-ray" | "electron";

/**
 * Converts an energy in electronvolts to joules.
 *
 * @example
 * ```ts
 * const joules = electronVolts(300e3); // a 300 keV electron beam
 * ```
 */
export function electronVolts(eV: number): number {
  return eV * ELEMENTARY_CHARGE;
}

/**
 * Photon wavelength lambda = h c / E, metres, for a photon energy in joules.
 *
 * @example
 * ```ts
 * photonWavelength(electronVolts(12.4e3)); // ~1.0e-10 m
 * ```
 */
export function photonWavelength(energyJ: number): number {
  requirePositive(energyJ, "photon energy");
  return PLANCK * SPEED_OF_LIGHT / energyJ;
}

/**
 * Relativistic de Broglie wavelength of an electron of kinetic energy E (joules):
 * lambda = h / sqrt(2 m E (1 + E / (2 m c^2))).
 *
 * @example
 * ```ts
 * electronWavelength(electronVolts(300e3)); // ~1.97e-12 m
 * ```
 */
export function electronWavelength(energyJ: number): number {
  requirePositive(energyJ, "electron energy");
  const restEnergy = ELECTRON_MASS * SPEED_OF_LIGHT ** 2;
  const momentum = Math.sqrt(2 * ELECTRON_MASS * energyJ * (1 + energyJ / (2 * restEnergy)));
  return PLANCK / momentum;
}

/**
 * Wavelength in metres for a source of the given kind and energy (joules).
 *
 * @example
 * ```ts
 * wavelength("electron", electronVolts(200e3)); // ~2.51e-12 m
 * ```
 */
export function wavelength(kind: ProbeKind, energyJ: number): number {
  return kind === "electron" ? electronWavelength(energyJ) : photonWavelength(energyJ);
}

/**
 * Relativistic interaction constant sigma of an electron of kinetic energy E (joules), in
 * rad / (V m): the phase a projected potential of 1 V m imparts,
 * sigma = 2 pi gamma m e lambda / h^2 with gamma = 1 + E / (m c^2) (Kirkland, Advanced Computing
 * in Electron Microscopy, eq. 5.6).
 *
 * @example
 * ```ts
 * interactionConstant(electronVolts(200e3)); // ~7.29e-4 rad / (V Angstrom) = 7.29e6 rad / (V m)
 * ```
 */
export function interactionConstant(energyJ: number): number {
  const gamma = 1 + energyJ / (ELECTRON_MASS * SPEED_OF_LIGHT ** 2);
  return 2 * Math.PI * gamma * ELECTRON_MASS * ELEMENTARY_CHARGE * electronWavelength(energyJ) /
    PLANCK ** 2;
}

/** What {@link objectPixelSize} needs. */
export interface FarFieldGeometry {
  /** Wavelength, metres. */
  wavelength: number;
  /** Sample-to-detector distance z, metres. */
  distance: number;
  /** Detector pixel size p, metres. */
  detectorPixel: number;
  /** Frame size M, pixels (square frames). */
  frame: number;
}

/**
 * Object pixel size of far-field ptychography, dx = lambda z / (M p), metres: the reciprocal of
 * the detector's angular extent, so one frame of M pixels spans lambda z / p in the object.
 *
 * @example
 * ```ts
 * objectPixelSize({ wavelength: 1e-10, distance: 2, detectorPixel: 75e-6, frame: 256 });
 * // ~1.04e-8 m
 * ```
 */
export function objectPixelSize(g: FarFieldGeometry): number {
  requirePositive(g.wavelength, "wavelength");
  requirePositive(g.distance, "detector distance");
  requirePositive(g.detectorPixel, "detector pixel size");
  if (!Number.isInteger(g.frame) || g.frame <= 0) {
    throw new RangeError(`Expected a positive integer frame size, got ${g.frame}`);
  }
  return g.wavelength * g.distance / (g.frame * g.detectorPixel);
}

function requirePositive(value: number, what: string): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`Expected a positive finite ${what}, got ${value}`);
  }
}

/** What {@link nearFieldGeometry} needs. */
export interface NearFieldInput {
  /** Wavelength, metres. */
  wavelength: number;
  /** Sample-to-detector distance z2, metres. */
  distance: number;
  /** Detector pixel size p, metres. */
  detectorPixel: number;
  /** Frame size M, pixels (square frames). */
  frame: number;
  /**
   * Focus-to-sample distance z1, metres, for a cone beam (Fresnel scaling); absent or null for
   * a plane wave.
   */
  focusDistance?: number | null;
}

/** The plane-wave-equivalent near-field geometry of {@link nearFieldGeometry}. */
export interface NearFieldGeometry {
  /** Geometric magnification (z1 + z2) / z1; 1 for a plane wave. */
  magnification: number;
  /** Object pixel size p / magnification, metres. */
  objectPixel: number;
  /** Effective propagation distance z2 / magnification, metres. */
  distance: number;
  /** Fresnel number a^2 / (lambda z_eff) of one frame, a = M objectPixel its width. */
  fresnelNumber: number;
}

/**
 * Near-field geometry. A cone beam from a focus z1 upstream of the sample, recorded at z2
 * behind it, equals by the Fresnel scaling theorem a plane wave on a sample magnified by
 * M = (z1 + z2) / z1, recorded at z_eff = z2 / M with pixels p / M (Paganin, Coherent X-Ray
 * Optics, sec. 2.5). Without z1 the beam is a plane wave: M = 1, pixel p, distance z2.
 *
 * @example
 * ```ts
 * nearFieldGeometry({ wavelength: 1.6e-10, distance: 1.12, detectorPixel: 55e-6, frame: 100,
 *   focusDistance: 3.65e-3 }); // magnification ~308, object pixel ~0.18 um, distance ~3.6 mm
 * ```
 */
export function nearFieldGeometry(g: NearFieldInput): NearFieldGeometry {
  requirePositive(g.wavelength, "wavelength");
  requirePositive(g.distance, "detector distance");
  requirePositive(g.detectorPixel, "detector pixel size");
  if (g.focusDistance !== undefined && g.focusDistance !== null) {
    requirePositive(g.focusDistance, "focus distance");
  }
  const z1 = g.focusDistance ?? null;
  const magnification = z1 === null ? 1 : (z1 + g.distance) / z1;
  const objectPixel = g.detectorPixel / magnification;
  const distance = g.distance / magnification;
  const width = g.frame * objectPixel;
  return {
    magnification,
    objectPixel,
    distance,
    fresnelNumber: width * width / (g.wavelength * distance),
  };
}
