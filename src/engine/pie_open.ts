/**
 * The sessions of the sequential `epie` / `rpie` ({@link PieSession}): `GpuProblem` on one WebGPU
 * device, built from the same options, batch rule and checkpoint format as the engine's tiles.
 */
import { type Dataset, nearFieldOf } from "../data/dataset.ts";
import { type Gpu, requestGpu } from "../gpu/device.ts";
import { GpuProblem } from "../problem/gpu_problem.ts";
import { gpuUpdates } from "../solvers/pie.ts";
import { type InitialGuess, initialGuess } from "./initial.ts";
import type { ReconstructOptions } from "./options.ts";
import { PieSession } from "./pie_session.ts";
import type { OpenSessionOptions, Session } from "./session.ts";

/** Opens an `epie` or `rpie` session on one device, restored from the checkpoint. */
export async function openPie(
  o: OpenSessionOptions & { variant: "epie" | "rpie" },
): Promise<Session> {
  const { options, dataset } = o;
  const guess = await initialGuess(o);
  const gpu = await requestGpu({ label: "tessera" });
  let problem: GpuProblem | null = null;
  try {
    problem = await deviceProblem(gpu, dataset, options, guess);
    const owned = problem;
    const [h, w] = dataset.objectShape;
    const common = {
      problem: owned,
      x: owned.upload(guess.object, guess.probe.data),
      refineProbeFrom: guess.refineProbeFrom,
      objectShape: [options.slices, h, w] as [number, number, number],
      probeShape: [options.probeModes, dataset.frame, dataset.frame] as [number, number, number],
    };
    const session = new PieSession({
      ...common,
      gpu,
      target: await gpuUpdates(owned),
      variant: o.variant,
      seed: options.seed,
    });
    if (o.checkpoint) await session.restore(o.checkpoint);
    return session;
  } catch (error) {
    problem?.dispose();
    gpu.destroy();
    throw error;
  }
}

/** The reconstruction problem of `dataset` on `gpu`, with the run's physics options. */
function deviceProblem(
  gpu: Gpu,
  dataset: Dataset,
  options: ReconstructOptions,
  guess: InitialGuess,
): Promise<GpuProblem> {
  const [h, w] = dataset.objectShape;
  return GpuProblem.create({
    gpu,
    frames: dataset.frames,
    positionsY: dataset.positionsY,
    positionsX: dataset.positionsX,
    frame: dataset.frame,
    objectShape: [h, w],
    slices: options.slices,
    sliceDistance: guess.sliceDistance ?? undefined,
    wavelength: dataset.geometry.wavelength,
    pixelSize: dataset.geometry.objectPixel,
    modes: options.probeModes,
    noise: options.noise,
    mask: dataset.mask,
    nearField: nearFieldOf(dataset.geometry),
  });
}
