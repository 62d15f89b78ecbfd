/** The data set of a run: a CXI file, or the built-in demo simulated in memory. */
import type { Dataset } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import type { ReconstructOptions } from "./options.ts";

/**
 * Opens the input of `options`.
 *
 * @throws {InputError} when the file is missing or not a valid CXI file.
 */
export async function loadInput(options: ReconstructOptions): Promise<Dataset> {
  if (options.input) {
    await requireFile(options.input);
  }
  throw new InputError(
    "Reading data sets is not available yet in this build (the CXI reader and the simulator " +
      "have not landed).",
    options.input ?? undefined,
  );
}

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
