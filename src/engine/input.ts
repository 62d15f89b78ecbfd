/** The data set of a run: a CXI file, or the built-in demo simulated in memory. */
import type { Dataset } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import { readCxi } from "../io/cxi_reader.ts";
import { simulateDataset } from "../simulate/dataset.ts";
import type { ReconstructOptions } from "./options.ts";

/**
 * The built-in demo: a Siemens star (X-ray, 2D) sized so that `deno task reconstruct` finishes
 * within a minute on a two-core machine's software adapter.
 */
export const DEMO = { preset: "siemens", frame: 64, positions: 144 } as const;

/**
 * Opens the input of `options`: the CXI file (validated), or the demo simulated with `seed`.
 * `scanAll: false` (an MPI rank, which reads only its tiles' frames) leaves out the pass over
 * every frame; each read still refuses a count that is not finite.
 *
 * @throws {InputError} when the file is missing or not a valid CXI file.
 */
export async function loadInput(options: ReconstructOptions, scanAll = true): Promise<Dataset> {
  const near = options.propagation === "near";
  if (!options.input) {
    const { dataset } = await simulateDataset({
      ...DEMO,
      // The near-field demo is the near-field preset.
      preset: near ? "nearfield" : DEMO.preset,
      slices: options.slices,
      seed: options.seed,
    });
    return dataset;
  }
  await requireFile(options.input);
  const dataset = await readCxi(options.input, { ...readOptions(options), scan: scanAll });
  const m = dataset.frame;
  if (m < MIN_FRAME || !Number.isInteger(Math.log2(m))) {
    dataset.frames.close();
    throw new InputError(
      `Cannot reconstruct ${options.input}: its frames are ${m} x ${m} pixels, and Tessera's FFTs ` +
        `take powers of two from ${MIN_FRAME} (16, 32, 64, ..., 1024). Crop the frames around ` +
        "the zero frequency to a power of two (the object pixel size grows accordingly), or pad them.",
      options.input,
    );
  }
  return dataset;
}

/** The geometry choices of a run as the CXI reader takes them (workers read with the same). */
export function readOptions(
  options: Pick<ReconstructOptions, "propagation" | "focusDistance">,
): { propagation: "near" | "far"; focusDistance?: number } {
  return {
    propagation: options.propagation === "near" ? "near" : "far",
    ...(options.focusDistance !== null && options.focusDistance !== undefined
      ? { focusDistance: options.focusDistance }
      : {}),
  };
}

/** The smallest frame the device problem takes. */
const MIN_FRAME = 16;

/** @throws {InputError} naming `path` when it is not a readable file. */
export async function requireFile(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputError(`Cannot read ${path}: the file does not exist.`, path);
    }
    throw error;
  }
  if (!info.isFile) throw new InputError(`Cannot read ${path}: it is not a file.`, path);
}
