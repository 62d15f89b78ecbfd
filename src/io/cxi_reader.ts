/**
 * Reads a CXI file into a {@link Dataset}: geometry, scan positions in object pixels, optional
 * mask, illumination and ground truth, and a frame source that reads hyperslabs on demand.
 * Every way a real file goes wrong ends in an {@link InputError} naming the file, the HDF5 path
 * and what was expected.
 */
import type { Dataset } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import {
  type Dataset as H5Dataset,
  datasetAt,
  type File,
  isNumeric,
  openForReading,
  readNumbers,
  shapeOf,
} from "./_h5.ts";
import {
  describeType,
  readGeometry,
  readGroundTruth,
  readIllumination,
  readMask,
} from "./_cxi_parts.ts";
import { CxiFrames, type FrameStatistics, scanFrames } from "./cxi_frames.ts";
import { CXI } from "./cxi_paths.ts";
import { nextPowerOfTwo, PaddedFrames, padIllumination, padMask } from "./padded_frames.ts";
import { placeScan } from "./scan.ts";

/** Options of {@link openCxi} and {@link readCxi}. */
export interface ReadCxiOptions {
  /**
   * Scan every frame (streamed, chunk by chunk) for NaN or infinite counts and count negative
   * ones. Default true; a worker that reads only its own frames of a file the main process
   * already checked passes false, as does an MPI rank (every read refuses a count that is not
   * finite anyway).
   */
  scan?: boolean;
  /** Object pixel size in metres, overriding lambda z / (M p). */
  objectPixel?: number;
  /** `far` (default) or `near`: how exit waves reach the detector (DESIGN section 7). */
  propagation?: "near" | "far";
  /** Focus-to-sample distance z1 in metres: a near-field cone beam (Fresnel scaling). */
  focusDistance?: number;
  /**
   * Near field only: frames whose size is not a power of two are centred in frames of the next
   * power of two with a masked border (see `padded_frames.ts`), so the FFTs take them. Default
   * true; `inspect` passes it too, so it reports the object a reconstruction uses.
   */
  padNearField?: boolean;
  /** Margin in object pixels between the outermost probe windows and the object's edge. */
  margin?: number;
  /**
   * Load the ground-truth object (default true). Workers that need only frames pass false; the
   * ground truth's positions and shape still place the scan, so positions agree either way.
   */
  groundTruth?: boolean;
}

/** An opened CXI file: the data set, where its parts were found, and frame statistics. */
export interface CxiFile {
  dataset: Dataset;
  /** HDF5 paths actually used (after trying the alternatives). */
  paths: { frames: string; translation: string };
  /** Frame storage: element type, chunk shape, compression filters. */
  storage: { dtype: string; chunks: number[] | null; filters: string[] };
  /** Statistics of every frame, or null when `scan` was false. */
  statistics: FrameStatistics | null;
  /** The frames' size in the file (`dataset.frame` is larger when near-field frames are padded). */
  fileFrame: number;
}

/**
 * Opens and validates a CXI file. The frames stay on disk; `dataset.frames` reads them.
 *
 * @example
 * ```ts
 * const { dataset, statistics } = await openCxi("scan.cxi");
 * const first16 = await dataset.frames.read([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
 * dataset.frames.close();
 * ```
 */
export async function openCxi(path: string, options: ReadCxiOptions = {}): Promise<CxiFile> {
  const file = await openForReading(path);
  try {
    return await interpret(file, path, options);
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Opens and validates a CXI file and returns its {@link Dataset} (see {@link openCxi}). */
export async function readCxi(path: string, options: ReadCxiOptions = {}): Promise<Dataset> {
  return (await openCxi(path, options)).dataset;
}

async function interpret(file: File, path: string, options: ReadCxiOptions): Promise<CxiFile> {
  const bad = (where: string, what: string) =>
    new InputError(`Cannot use ${path}: ${where} ${what}`, path, where);
  const [framesPath, frames] = firstOf(file, CXI.frames);
  if (!frames) {
    throw bad(CXI.frames.join(" or "), "is missing; expected the frames, N x M x M counts.");
  }
  const shape = shapeOf(frames);
  if (shape.length !== 3 || shape[1] !== shape[2] || shape[0] < 1 || shape[1] < 2) {
    throw bad(framesPath, `has shape [${shape}]; expected N x M x M frames (square, N >= 1).`);
  }
  if (!isNumeric(frames)) {
    throw bad(framesPath, `holds ${describeType(frames)}; expected integer or float counts.`);
  }
  const [count, M] = shape;

  const [translationPath, translation] = firstOf(file, CXI.translation);
  if (!translation) {
    throw bad(CXI.translation.join(" or "), "is missing; expected scan translations, N x 3 m.");
  }
  const tShape = shapeOf(translation);
  if (tShape.length !== 2 || tShape[1] < 2 || !isNumeric(translation)) {
    throw bad(translationPath, `has shape [${tShape}]; expected N x 3 (or N x 2) metres.`);
  }
  if (tShape[0] !== count) {
    throw bad(
      translationPath,
      `has ${tShape[0]} translations but ${framesPath} has ${count} frames; expected one ` +
        `translation per frame.`,
    );
  }
  const tRaw = await readNumbers(translation);
  const translations = new Float64Array(2 * count);
  for (let j = 0; j < count; j++) {
    const x = tRaw[j * tShape[1]], y = tRaw[j * tShape[1] + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw bad(translationPath, `row ${j} is (${x}, ${y}); expected finite metres.`);
    }
    translations[2 * j] = x;
    translations[2 * j + 1] = y;
  }

  const geometry = await readGeometry(file, path, M, options);
  const mask = await readMask(file, path, M);
  const illumination = await readIllumination(file, path, M);
  const truth = await readGroundTruth(file, path, {
    count,
    loadObject: options.groundTruth !== false,
  });
  const pad = geometry.propagation?.kind === "near" && options.padNearField !== false &&
      nextPowerOfTwo(M) !== M
    ? nextPowerOfTwo(M)
    : M;
  const givenPixel = options.objectPixel;
  if (truth.pixel && givenPixel === undefined) geometry.objectPixel = truth.pixel;
  // A simulated file's positions are exact on its ground-truth grid; they hold unless the user
  // chose another object pixel size.
  const onTruthGrid = truth.positions && truth.objectShape &&
    (givenPixel === undefined || givenPixel === truth.pixel);
  const scan = onTruthGrid
    ? {
      positionsX: truth.positions!.filter((_, i) => i % 2 === 0),
      positionsY: truth.positions!.filter((_, i) => i % 2 === 1),
      objectShape: truth.objectShape!.slice(-2) as [number, number],
    }
    : placeScan({ ...options, translations, objectPixel: geometry.objectPixel, frame: pad });

  const source = new CxiFrames(file, frames);
  const meta = frames.metadata;
  const chunkRows = meta.chunks?.[0];
  const statistics = options.scan === false ? null : await scanFrames(source, { chunkRows });
  const dataset: Dataset = {
    source: path,
    frame: pad,
    count,
    geometry,
    ...scan,
    translations,
    mask: pad === M ? mask : padMask(mask, M, pad),
    illumination: pad === M || !illumination ? illumination : padIllumination(illumination, M, pad),
    groundTruth: truth.object,
    ...(onTruthGrid && truth.truePositions
      ? {
        truePositions: {
          x: truth.truePositions.filter((_, i) => i % 2 === 0),
          y: truth.truePositions.filter((_, i) => i % 2 === 1),
        },
      }
      : {}),
    sliceThickness: truth.sliceThickness,
    frames: pad === M ? source : new PaddedFrames(source, M, pad),
    ...(statistics ? { clippedNegatives: statistics.negatives } : {}),
  };
  return {
    dataset,
    paths: { frames: framesPath, translation: translationPath },
    storage: {
      dtype: describeType(frames),
      chunks: meta.chunks,
      filters: frames.filters.map((f) => f.name),
    },
    statistics,
    fileFrame: M,
  };
}

function firstOf(file: File, paths: readonly string[]): [string, H5Dataset | null] {
  for (const p of paths) {
    const d = datasetAt(file, p);
    if (d) return [p, d];
  }
  return [paths[0], null];
}
