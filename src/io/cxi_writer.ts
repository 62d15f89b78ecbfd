/**
 * Writes a {@link Dataset} (typically simulated) as a CXI 1.5 file that {@link readCxi} and h5py
 * read back: frames, translations, detector and source geometry, mask, illumination, and the
 * ground truth with the scan positions on its pixel grid. The file is written under a temporary
 * name and renamed, so an interrupted run never leaves a half-written file at `path`.
 */
import type { Dataset } from "../data/dataset.ts";
import { temporaryPath } from "./atomic.ts";
import h5wasm from "h5wasm/node";
import { ensureGroup, type File, type Group, h5 } from "./_h5.ts";
import { bytesOf, createChunked, writeComplex, writeRows } from "./_h5_write.ts";
import { CXI } from "./cxi_paths.ts";

/** Options of {@link writeCxi}. */
export interface WriteCxiOptions {
  /** gzip level 1-9 for the frames; none by default (faster to write and read). */
  gzip?: number;
  /** Frames read from the source and written per step; bounds the memory used. */
  batch?: number;
}

/**
 * Writes `dataset` to `path` (CXI layout of DESIGN section 4), frames in batches from
 * `dataset.frames`.
 *
 * @example
 * ```ts
 * await writeCxi("out/siemens.cxi", simulated);
 * const back = await readCxi("out/siemens.cxi");
 * ```
 */
export async function writeCxi(
  path: string,
  dataset: Dataset,
  options: WriteCxiOptions = {},
): Promise<void> {
  await h5();
  const temporary = temporaryPath(path);
  const file = new h5wasm.File(temporary, "w");
  try {
    scalar(file, "cxi_version", 150, "<q");
    scalar(file, "number_of_entries", 1, "<q");
    await writeFrames(file, dataset, options);
    writeGeometry(file, dataset);
    await writeSample(file, dataset);
  } catch (error) {
    file.close();
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
  file.close();
  await Deno.rename(temporary, path);
}

function scalar(group: Group, name: string, value: number, dtype = "<d"): void {
  group.create_dataset({
    name,
    data: dtype === "<q" ? new BigInt64Array([BigInt(value)]) : new Float64Array([value]),
    shape: [],
    dtype,
  });
}

function split(path: string): [string, string] {
  const at = path.lastIndexOf("/");
  return [path.slice(0, at), path.slice(at + 1)];
}

async function writeFrames(file: File, dataset: Dataset, options: WriteCxiOptions) {
  const { count: N, frame: M } = dataset;
  const [dir, name] = split(CXI.frames[0]);
  const frames = createChunked(ensureGroup(file, dir), {
    name,
    shape: [N, M, M],
    dtype: "<f",
    gzip: options.gzip,
  });
  const batch = Math.max(1, options.batch ?? Math.floor((16 << 20) / (4 * M * M)));
  for (let start = 0; start < N; start += batch) {
    const end = Math.min(N, start + batch);
    const indices = Array.from({ length: end - start }, (_, i) => start + i);
    await writeRows(frames, start, bytesOf(await dataset.frames.read(indices)));
  }
  // CXI readers look for the frames under the detector too; a soft link costs nothing.
  const [detector, link] = split(CXI.frames[1]);
  ensureGroup(file, detector).create_soft_link(CXI.frames[0], link);
}

function writeGeometry(file: File, dataset: Dataset): void {
  const g = dataset.geometry;
  const detector = ensureGroup(file, split(CXI.distance)[0]);
  scalar(detector, "distance", g.distance);
  scalar(detector, "x_pixel_size", g.detectorPixel[0]);
  scalar(detector, "y_pixel_size", g.detectorPixel[1]);
  if (dataset.mask) {
    const M = dataset.frame;
    detector.create_dataset({ name: "mask", data: dataset.mask, shape: [M, M], dtype: "<B" });
  }
  const source = ensureGroup(file, split(CXI.energy)[0]);
  scalar(source, "energy", g.energyJ);
  scalar(source, "wavelength", g.wavelength);
  source.create_dataset({ name: "probe", data: g.probeKind });
}

async function writeSample(file: File, dataset: Dataset): Promise<void> {
  const N = dataset.count;
  const translation = new Float64Array(3 * N);
  for (let j = 0; j < N; j++) {
    translation[3 * j] = dataset.translations[2 * j];
    translation[3 * j + 1] = dataset.translations[2 * j + 1];
  }
  const [geometryDir, tName] = split(CXI.translation[0]);
  ensureGroup(file, geometryDir).create_dataset({
    name: tName,
    data: translation,
    shape: [N, 3],
    dtype: "<d",
  });
  const [dataDir, tLink] = split(CXI.translation[1]);
  ensureGroup(file, dataDir).create_soft_link(CXI.translation[0], tLink);

  if (dataset.illumination) {
    const [dir, name] = split(CXI.illumination);
    const { shape, data } = dataset.illumination;
    await writeComplex(ensureGroup(file, dir), name, shape, data);
  }
  if (dataset.groundTruth) {
    const [dir, name] = split(CXI.groundTruth);
    const truth = ensureGroup(file, dir);
    const { shape, data } = dataset.groundTruth;
    await writeComplex(truth, name, shape.length === 2 ? [1, ...shape] : shape, data);
    const positions = new Float64Array(2 * N);
    for (let j = 0; j < N; j++) {
      positions[2 * j] = dataset.positionsX[j];
      positions[2 * j + 1] = dataset.positionsY[j];
    }
    truth.create_dataset({ name: "positions", data: positions, shape: [N, 2], dtype: "<d" });
    if (dataset.truePositions) {
      const { x, y } = dataset.truePositions;
      const data = Float64Array.from({ length: 2 * N }, (_, i) => (i % 2 ? y : x)[i >> 1]);
      truth.create_dataset({ name: "true_positions", data, shape: [N, 2], dtype: "<d" });
    }
    scalar(truth, "pixel_size", dataset.geometry.objectPixel);
    if (dataset.sliceThickness !== null) scalar(truth, "slice_thickness", dataset.sliceThickness);
  }
}
