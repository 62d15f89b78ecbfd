/** What every session starts from: a transparent object, the initial probe, refinement start. */
import type { ComplexArray } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import type { OpenSessionOptions } from "./session.ts";
import { type FrameGroups, initialProbe } from "./probe.ts";

/** Iteration from which an estimated probe (no illumination in the file) is refined. */
export const ESTIMATED_PROBE_REFINEMENT = 10;

/** The starting point of a run. */
export interface InitialGuess {
  /** S x H x W complex, modulus 1 and phase 0. */
  object: Float32Array;
  /** K x M x M complex. */
  probe: ComplexArray;
  /** First iteration refining the probe, or undefined for never. */
  refineProbeFrom: number | undefined;
  /** Distance between slices in metres (null for one slice). */
  sliceDistance: number | null;
  /** The factor the file's illumination was rescaled by (see `InitialProbe.rescale`). */
  probeRescale: number;
}

/**
 * The initial guess of a run (the mean frame summed over `groups`, by default all positions in
 * one). A transparent object (modulus 1, phase 0) is the neutral start:
 * the first gradient then comes from the probe and the data alone.
 *
 * @throws {InputError} when several slices are asked for and no slice distance is known.
 */
export async function initialGuess(
  o: OpenSessionOptions,
  groups?: FrameGroups,
): Promise<InitialGuess> {
  const { options, dataset } = o;
  const slices = options.slices;
  const sliceDistance = options.sliceThickness ?? dataset.sliceThickness;
  if (slices > 1 && !sliceDistance) {
    throw new InputError(
      `--slices ${slices} needs the distance between slices: ${dataset.source} gives none, ` +
        "so pass --slice-thickness METRES.",
      dataset.source,
    );
  }
  const [h, w] = dataset.objectShape;
  const object = new Float32Array(2 * slices * h * w);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  const { probe, rescale } = await initialProbe(dataset, options.probeModes, groups);
  if (o.facts) o.facts.probeRescale = rescale;
  const given = dataset.illumination?.shape.length === 3 ? dataset.illumination.shape[0] : 0;
  const estimated = given < options.probeModes;
  const refineProbeFrom = options.refineProbeFrom ??
    (estimated ? ESTIMATED_PROBE_REFINEMENT : undefined);
  if (estimated) {
    o.log(`Probe estimated from the data; refined from iteration ${refineProbeFrom ?? "never"}`);
  }
  return {
    object,
    probe,
    refineProbeFrom,
    sliceDistance: slices > 1 ? sliceDistance : null,
    probeRescale: rescale,
  };
}
