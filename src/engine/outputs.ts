/** Writes the results of a run into its output directory (DESIGN section 4). */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
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

/** Writes `report.json` (the other writers plug in as `src/io` lands). */
export async function writeOutputs(o: OutputsInput): Promise<void> {
  await Deno.mkdir(o.out, { recursive: true });
  const temporary = `${o.out}/report.json.tmp-${Deno.pid}`;
  await Deno.writeTextFile(temporary, JSON.stringify(o.report, null, 2) + "\n");
  await Deno.rename(temporary, `${o.out}/report.json`);
}
