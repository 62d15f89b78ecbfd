/** `simulate`: simulates a preset's data set and writes it as a CXI file. */
import { writeCxi } from "../io/cxi_writer.ts";
import { requireWritable } from "../engine/permissions.ts";
import { simulateDataset } from "../simulate/dataset.ts";
import type { SimulateCliOptions } from "./simulate.ts";

/** Writes the data set `options` describe and prints one line saying what was written. */
export async function runSimulate(options: SimulateCliOptions): Promise<void> {
  await requireWritable(options.out);
  const parent = options.out.replace(/[\\/][^\\/]*$/, "");
  if (parent !== options.out && parent !== "") await Deno.mkdir(parent, { recursive: true });
  const { dataset } = await simulateDataset({
    preset: options.preset,
    frame: options.frame,
    positions: options.positions,
    slices: options.slices,
    scan: options.scan === "spiral" ? "fermat" : options.scan,
    step: options.step,
    counts: options.photons,
    noise: options.noise,
    seed: options.seed,
    positionError: options.positionError,
    probeModes: options.probeModes,
  });
  if (options.withoutProbe) dataset.illumination = null;
  try {
    await writeCxi(options.out, dataset);
  } finally {
    dataset.frames.close();
  }
  const [h, w] = dataset.objectShape;
  const slices = dataset.groundTruth?.shape[0] ?? 1;
  console.log(
    `Wrote ${options.out}: ${options.preset}, ${dataset.count} positions of ` +
      `${dataset.frame} x ${dataset.frame}, object ${slices} x ${h} x ${w} with its ground truth`,
  );
}
