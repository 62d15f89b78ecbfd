/**
 * Writes the results of a run into its output directory (DESIGN section 4). Every file goes to a
 * temporary name first and is renamed into place when complete, so an interrupted run never
 * leaves a half-written file; `report.json` is renamed last, so its presence says the rest is
 * complete.
 */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { productOf, writeProduct } from "../io/product.ts";
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
}

/** Writes `product.h5` and `report.json` into `o.out`. */
export async function writeOutputs(o: OutputsInput): Promise<void> {
  await Deno.mkdir(o.out, { recursive: true });
  const name = o.dataset.source.replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "");
  const product = productOf(o.dataset, {
    name,
    comments: `Tessera ${o.report.tessera_version}: ${o.options.algorithm}, ` +
      `${o.report.iterations} iterations, ${o.options.noise} noise model`,
    object: o.object,
    probe: o.probe,
    lossValues: o.report.loss_values,
  });
  await writeProduct(`${o.out}/product.h5`, product);
  await writeFileAtomic(`${o.out}/report.json`, JSON.stringify(o.report, null, 2) + "\n");
}
