/**
 * The data of `bench quality` and `bench iteration`: PtyPy's far-field test case as `simulate`
 * writes it, a smooth random complex object on a Fermat spiral whose neighbours sit 0.2 frame
 * apart, Poisson noise, and a start from the true probe or from one estimated from the data.
 */
import { initialProbe } from "../../src/engine/probe.ts";
import { simulateDataset, type SimulatedDataset } from "../../src/simulate/mod.ts";

/** Neighbours of a Fermat spiral of radial step c sit about 1.7 c apart (`simulate --step`). */
const NEIGHBOUR_PER_STEP = 1.7;

/**
 * The probe a run starts from: the truth, or estimated from the data and refined (`estimated`: as
 * `reconstruct` estimates it, with the defocus search; `flat`: without it).
 */
export type ProbeStart = "known" | "estimated" | "flat";

/** One condition of the benchmarks. */
export interface QualityCase {
  frame: number;
  positions: number;
  /** Mean photons per frame. */
  photons: number;
}

/** Iteration from which an estimated probe is refined (PtyPy's default start of refinement). */
export const REFINE_PROBE_FROM = 2;

/** The simulated data set of a condition: the `smooth` preset, neighbours 0.2 frame apart. */
export function qualityData(c: QualityCase): Promise<SimulatedDataset> {
  return simulateDataset({
    preset: "smooth",
    frame: c.frame,
    positions: c.positions,
    counts: c.photons,
    step: (0.2 * c.frame) / NEIGHBOUR_PER_STEP,
  });
}

/** The object every run starts from: 1 everywhere (interleaved complex float32). */
export function flatObject(sim: SimulatedDataset): Float32Array {
  const object = new Float32Array(sim.truth.object.length);
  for (let i = 0; i < object.length; i += 2) object[i] = 1;
  return object;
}

/**
 * The initial probe (interleaved complex float32), the first iteration refining it and the seconds
 * its estimate took on the host (the mean frame and the defocus search): the truth, never and 0,
 * or the engine's estimate from the data and {@link REFINE_PROBE_FROM}.
 */
export async function probeStart(
  sim: SimulatedDataset,
  start: ProbeStart,
): Promise<{ probe: Float32Array; refineProbeFrom: number | undefined; seconds: number }> {
  if (start === "known") {
    return { probe: Float32Array.from(sim.truth.probe), refineProbeFrom: undefined, seconds: 0 };
  }
  const t0 = performance.now();
  // Estimated as for a file without an illumination (`simulate --without-probe`).
  const { probe } = await initialProbe({ ...sim.dataset, illumination: null }, 1, undefined, {
    defocusSearch: start === "estimated",
  });
  const seconds = (performance.now() - t0) / 1000;
  return { probe: probe.data, refineProbeFrom: REFINE_PROBE_FROM, seconds };
}
