/**
 * The validated pieces of a CXI file other than the frames and translations: scalar geometry,
 * source kind, mask, illumination and ground truth. Each failure is an {@link InputError} naming
 * the file, the HDF5 path and what was expected.
 */
import type { ComplexArray, Geometry } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import {
  nearFieldGeometry,
  objectPixelSize,
  PLANCK,
  type ProbeKind,
  SPEED_OF_LIGHT,
  wavelength,
} from "../physics/geometry.ts";
import {
  type Dataset as H5Dataset,
  datasetAt,
  type File,
  isComplex,
  isNumeric,
  isString,
  readComplex,
  readNumbers,
  readString,
  shapeOf,
} from "./_h5.ts";
import { CXI } from "./cxi_paths.ts";

/** The element type in words: int32, float32, complex64, ... */
export function describeType(d: H5Dataset): string {
  const { type, size, signed } = d.metadata;
  if (type === 0) return `${signed ? "int" : "uint"}${8 * size}`;
  if (type === 1) return `float${8 * size}`;
  return isComplex(d) ? `complex${8 * size}` : `HDF5 type class ${type}`;
}

/** A one-element numeric dataset, or null when absent. */
export async function readScalar(file: File, path: string, where: string): Promise<number | null> {
  const d = datasetAt(file, where);
  if (!d) return null;
  const n = shapeOf(d).reduce((a, b) => a * b, 1);
  if (!isNumeric(d) || n !== 1) {
    throw new InputError(
      `Cannot use ${path}: ${where} holds ${describeType(d)} [${shapeOf(d)}]; expected one number.`,
      path,
      where,
    );
  }
  return (await readNumbers(d))[0];
}

async function requirePositive(file: File, path: string, where: string, unit: string) {
  const value = await readScalar(file, path, where);
  if (value === null) {
    throw new InputError(`Cannot use ${path}: ${where} is missing; expected ${unit}.`, path, where);
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new InputError(
      `Cannot use ${path}: ${where} is ${value}; expected a positive ${unit}.`,
      path,
      where,
    );
  }
  return value;
}

/** What the user chose about the geometry, beside what the file says. */
export interface GeometryChoices {
  /** Object pixel size in metres, overriding the computed one. */
  objectPixel?: number;
  /** `far` (default) or `near`. */
  propagation?: "near" | "far";
  /** Focus-to-sample distance z1 in metres (near field, cone beam). */
  focusDistance?: number;
}

/**
 * Source and detector geometry, validated; dx = lambda z / (M p) in far field, or the near-field
 * pixel p / magnification (Fresnel scaling with a focus distance), unless given.
 */
export async function readGeometry(
  file: File,
  path: string,
  M: number,
  choices: GeometryChoices = {},
): Promise<Geometry> {
  const { objectPixel } = choices;
  const distance = await requirePositive(file, path, CXI.distance, "distance in metres");
  const px = await requirePositive(file, path, CXI.xPixel, "pixel size in metres");
  const py = await requirePositive(file, path, CXI.yPixel, "pixel size in metres");
  const probeKind = readProbeKind(file, path);
  let energyJ = await readScalar(file, path, CXI.energy);
  if (energyJ === null) {
    // Some beamline files give only the wavelength; for photons the energy follows from it.
    const lambda = await readScalar(file, path, CXI.wavelength);
    if (lambda === null || probeKind !== "x-ray") {
      throw new InputError(
        `Cannot use ${path}: ${CXI.energy} is missing; expected the source energy in joules.`,
        path,
        CXI.energy,
      );
    }
    energyJ = PLANCK * SPEED_OF_LIGHT / lambda;
  }
  if (!(energyJ > 0) || !Number.isFinite(energyJ)) {
    throw new InputError(
      `Cannot use ${path}: ${CXI.energy} is ${energyJ}; expected a positive energy in joules.`,
      path,
      CXI.energy,
    );
  }
  if (Math.abs(px - py) > 1e-6 * px) {
    throw new InputError(
      `Cannot use ${path}: ${CXI.xPixel} (${px} m) and ${CXI.yPixel} (${py} m) differ; ` +
        `expected square detector pixels.`,
      path,
      CXI.yPixel,
    );
  }
  const lambda = wavelength(probeKind, energyJ);
  if (objectPixel !== undefined && !(objectPixel > 0)) {
    throw new InputError(`Expected a positive object pixel size, got ${objectPixel}`);
  }
  if (choices.propagation === "near") {
    const near = nearFieldGeometry({
      wavelength: lambda,
      distance,
      detectorPixel: px,
      frame: M,
      focusDistance: choices.focusDistance,
    });
    return {
      probeKind,
      energyJ,
      wavelength: lambda,
      distance,
      detectorPixel: [px, py],
      objectPixel: objectPixel ?? near.objectPixel,
      propagation: {
        kind: "near",
        distance: near.distance,
        magnification: near.magnification,
        focusDistance: choices.focusDistance ?? null,
      },
    };
  }
  return {
    probeKind,
    energyJ: energyJ,
    wavelength: lambda,
    distance,
    detectorPixel: [px, py],
    objectPixel: objectPixel ??
      objectPixelSize({ wavelength: lambda, distance, detectorPixel: px, frame: M }),
  };
}

function readProbeKind(file: File, path: string): ProbeKind {
  const d = datasetAt(file, CXI.probe);
  if (!d) return "x-ray";
  const text = isString(d) ? readString(d).trim().toLowerCase() : "";
  if (text === "electron") return "electron";
  if (["x-ray", "xray", "photon"].includes(text)) return "x-ray";
  throw new InputError(
    `Cannot use ${path}: ${CXI.probe} is "${text}"; expected "x-ray" or "electron".`,
    path,
    CXI.probe,
  );
}

/** The optional M x M mask as 0/1 bytes (nonzero = bad pixel). */
export async function readMask(file: File, path: string, M: number): Promise<Uint8Array | null> {
  const d = datasetAt(file, CXI.mask);
  if (!d) return null;
  const shape = shapeOf(d);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!isNumeric(d) || n !== M * M || shape[shape.length - 1] !== M) {
    throw new InputError(
      `Cannot use ${path}: ${CXI.mask} has shape [${shape}]; expected ${M} x ${M} like the ` +
        `frames (nonzero = bad pixel).`,
      path,
      CXI.mask,
    );
  }
  const values = await readNumbers(d);
  return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
}

/** The optional initial probe, M x M or K x M x M complex. */
export async function readIllumination(
  file: File,
  path: string,
  M: number,
): Promise<ComplexArray | null> {
  const d = datasetAt(file, CXI.illumination);
  if (!d) return null;
  const shape = shapeOf(d);
  const fits = (shape.length === 2 || shape.length === 3) && shape.at(-1) === M &&
    shape.at(-2) === M && (isComplex(d) || isNumeric(d));
  if (!fits) {
    throw new InputError(
      `Cannot use ${path}: ${CXI.illumination} has shape [${shape}] (${describeType(d)}); ` +
        `expected ${M} x ${M} or K x ${M} x ${M} complex, the size of the frames.`,
      path,
      CXI.illumination,
    );
  }
  return { shape: shape.length === 2 ? [1, M, M] : shape, data: await readComplex(d) };
}

/** The optional ground truth with its scan positions, pixel size and slice distance. */
export async function readGroundTruth(
  file: File,
  path: string,
  options: { count: number; loadObject: boolean },
) {
  const { count } = options;
  const d = datasetAt(file, CXI.groundTruth);
  if (!d) {
    return {
      object: null,
      objectShape: null,
      positions: null,
      truePositions: null,
      pixel: null,
      sliceThickness: null,
    };
  }
  const shape = shapeOf(d);
  if ((shape.length !== 2 && shape.length !== 3) || !(isComplex(d) || isNumeric(d))) {
    throw new InputError(
      `Cannot use ${path}: ${CXI.groundTruth} has shape [${shape}] (${describeType(d)}); ` +
        `expected S x H x W complex.`,
      path,
      CXI.groundTruth,
    );
  }
  const objectShape = shape.length === 2 ? [1, ...shape] : shape;
  const object = options.loadObject ? { shape: objectShape, data: await readComplex(d) } : null;
  const positionsAt = async (where: string): Promise<Float64Array | null> => {
    const p = datasetAt(file, where);
    if (!p) return null;
    const ps = shapeOf(p);
    if (ps.length !== 2 || ps[0] !== count || ps[1] !== 2) {
      throw new InputError(
        `Cannot use ${path}: ${where} has shape [${ps}]; expected ${count} x 2.`,
        path,
        where,
      );
    }
    return await readNumbers(p);
  };
  return {
    object,
    objectShape,
    positions: await positionsAt(CXI.groundTruthPositions),
    truePositions: await positionsAt(CXI.groundTruthTruePositions),
    pixel: await readScalar(file, path, CXI.groundTruthPixel),
    sliceThickness: await readScalar(file, path, CXI.groundTruthSliceThickness),
  };
}
