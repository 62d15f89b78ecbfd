/**
 * Writes a reconstruction's result directory (DESIGN section 4): `product.h5`, `report.json`,
 * `object_phase.png`, `object_amplitude.png`, `probe.png`, `convergence.svg` and the
 * self-contained `report.html` (DESIGN section 7).
 *
 * Atomicity: every file is first written completely into a fresh staging directory inside the
 * output directory (`out/.tmp-<random>/`, same file system), then each is renamed into place,
 * `report.json` last. A rename replaces a file in one step, so at any moment each result file in
 * `out/` is either absent, the previous run's complete file, or this run's complete file; an
 * interrupted run leaves at most the hidden staging directory, which the next run removes. A
 * `report.json` newer than the other files therefore means the whole set is from one run.
 */
import type { ComplexArray, Dataset } from "../data/dataset.ts";
import { convergenceSvg } from "./convergence_svg.ts";
import { objectAmplitudeImage, objectPhaseImage, probeImage } from "./pictures.ts";
import { encodePng } from "./png.ts";
import { positionsImage } from "./positions_picture.ts";
import { productOf, writeProduct } from "./product.ts";
import { type Report, reportJson } from "./report.ts";
import { reportHtml } from "./report_html.ts";

/** What a reconstruction hands to {@link writeResults}. */
export interface Results {
  /** The data set reconstructed (geometry, positions). */
  dataset: Dataset;
  /** Reconstructed object S x H x W and probe K x M x M, interleaved complex float32. */
  object: ComplexArray;
  probe: ComplexArray;
  /** The run's report; its `loss_values` also go into the product and the plot. */
  report: Report;
  /** Product name and comments (ptychodus shows them); name defaults to the data source. */
  name?: string;
  comments?: string;
  /**
   * Positions refined by position correction (object pixels, scan order): they go into the
   * product and `positions.png` against the measured ones.
   */
  positions?: { y: Float64Array; x: Float64Array };
}

/**
 * The files {@link writeResults} produces, in the order they are moved into place (with
 * `positions.png` before `report.html` when positions were refined).
 */
export const RESULT_FILES = [
  "product.h5",
  "object_phase.png",
  "object_amplitude.png",
  "probe.png",
  "convergence.svg",
  "report.html",
  "report.json",
] as const;

/**
 * Writes all result files into `outDir` (created if needed) so that an interruption never leaves
 * a half-written file there (see the module comment). Returns the paths written.
 *
 * @example
 * ```ts
 * await writeResults("out/demo", { dataset, object, probe, report });
 * ```
 */
export async function writeResults(outDir: string, results: Results): Promise<string[]> {
  // Checked before anything is written: a report missing a field fails fast.
  const reportText = reportJson(results.report);
  await Deno.mkdir(outDir, { recursive: true });
  await removeStaleStaging(outDir);
  const suffix = crypto.getRandomValues(new Uint32Array(2)).join("");
  const staging = `${outDir}/.tmp-${suffix}`;
  await Deno.mkdir(staging);
  try {
    const { dataset, object, probe, report } = results;
    const dx = dataset.geometry.objectPixel;
    const title = `${report.algorithm}, ${dataset.source}`;
    await writeProduct(
      `${staging}/product.h5`,
      productOf(dataset, {
        name: results.name ?? dataset.source,
        comments: results.comments ??
          `Tessera ${report.algorithm}, ${report.iterations} iterations`,
        object,
        probe,
        lossValues: report.loss_values,
        positions: results.positions,
      }),
    );
    const files: string[] = [...RESULT_FILES];
    if (results.positions) {
      const picture = positionsImage({
        measured: { y: dataset.positionsY, x: dataset.positionsX },
        refined: results.positions,
      });
      await Deno.writeFile(`${staging}/positions.png`, await encodePng(picture));
      files.splice(files.indexOf("report.html"), 0, "positions.png");
    }
    const pictures = {
      phase: await encodePng(objectPhaseImage(object, dx)),
      amplitude: await encodePng(objectAmplitudeImage(object, dx)),
      probe: await encodePng(probeImage(probe, dx)),
    };
    await Deno.writeFile(`${staging}/object_phase.png`, pictures.phase);
    await Deno.writeFile(`${staging}/object_amplitude.png`, pictures.amplitude);
    await Deno.writeFile(`${staging}/probe.png`, pictures.probe);
    await Deno.writeTextFile(
      `${staging}/convergence.svg`,
      convergenceSvg(report.loss_values, {
        title,
        costLabel: "cost",
        rFactors: (report.r_factor_values as number[] | undefined) ?? [],
      }),
    );
    await Deno.writeTextFile(`${staging}/report.html`, reportHtml(report, pictures));
    await Deno.writeTextFile(`${staging}/report.json`, reportText);
    for (const name of files) await Deno.rename(`${staging}/${name}`, `${outDir}/${name}`);
    return files.map((name) => `${outDir}/${name}`);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** Removes staging directories an interrupted earlier run left behind. */
async function removeStaleStaging(outDir: string): Promise<void> {
  for await (const entry of Deno.readDir(outDir)) {
    if (entry.isDirectory && entry.name.startsWith(".tmp-")) {
      await Deno.remove(`${outDir}/${entry.name}`, { recursive: true }).catch(() => {});
    }
  }
}
