/**
 * Writes the results of a run into its output directory (DESIGN section 4) through the IO
 * engine's result writer, which stages every file and renames it into place (`report.json`
 * last), so an interrupted run never leaves a half-written file.
 */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { writeResults } from "../io/results.ts";
import type { ReconstructOptions } from "./options.ts";
import type { Report } from "./report.ts";

/** Everything written into the output directory. */
export interface OutputsInput {
  out: string;
  dataset: Dataset;
  options: ReconstructOptions;
  object: ComplexArray;
  probe: ComplexArray;
  report: Report;
  /** Positions refined by position correction (object pixels), when it ran. */
  positions?: { y: Float64Array; x: Float64Array };
}

/** Writes product.h5, the pictures, convergence.svg and report.json into `o.out`. */
export async function writeOutputs(o: OutputsInput): Promise<void> {
  const name = o.dataset.source.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
  await writeResults(o.out, {
    dataset: o.dataset,
    object: o.object,
    probe: o.probe,
    report: o.report,
    positions: o.positions,
    name,
    comments: `Tessera ${o.report.tessera_version}: ${o.options.algorithm}, ` +
      `${o.report.iterations} iterations, ${o.options.noise} noise model, ` +
      `${o.options.probeModes} probe mode(s), ${o.options.slices} slice(s)`,
  });
}
