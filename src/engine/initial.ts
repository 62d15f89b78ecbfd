/** What every session starts from: a transparent object, the initial probe, refinement start. */
import type { ComplexArray } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import type { OpenSessionOptions } from "./session.ts";
import { type FrameGroups, initialProbe } from "./probe.ts";
import { type DefocusChoice, SEARCH_GAIN } from "./probe_search.ts";
import type { Dataset } from "../data/dataset.ts";

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
  const started = performance.now();
  const { probe, rescale, defocus } = await initialProbe(dataset, options.probeModes, groups, {
    defocusSearch: options.defocusSearch ?? true,
  });
  if (defocus) o.log(defocusLine(defocus, dataset, (performance.now() - started) / 1000));
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

/** The log's line on what the defocus search kept, with its trial costs and time. */
export function defocusLine(choice: DefocusChoice, dataset: Dataset, seconds: number): string {
  const flat = choice.trials.find((t) => t.curvature === 0 && !t.signed)!.cost;
  const best = choice.trials.reduce((a, b) => (b.cost < a.cost ? b : a));
  const { objectPixel, wavelength } = dataset.geometry;
  const metres = (a: number) => (a * objectPixel ** 2) / wavelength;
  const done = `${choice.trials.length} trials on ${choice.crop} x ${choice.crop} px in ${
    seconds.toFixed(1)
  } s`;
  if (choice.curvature === 0) {
    return `Defocus search: kept the flat phase (the best curvature, ${
      metres(best.curvature).toExponential(2)
    } m, had ${
      (best.cost / flat).toFixed(2)
    } of its trial cost, not below ${SEARCH_GAIN}; ${done})`;
  }
  const aperture = choice.rings?.aperture;
  const rings = !choice.rings
    ? ""
    : `, its far field changing sign at ${choice.rings.radii.length} rings${
      aperture
        ? ` as a round aperture's of radius ${aperture.toFixed(1)} px does`
        : " as an aperture's does"
    }`;
  return `Defocus search: the probe propagated ${
    metres(choice.curvature).toExponential(2)
  } m from its focus${rings} (trial cost ${
    (best.cost / flat).toFixed(2)
  } of the flat phase's; ${done})`;
}
