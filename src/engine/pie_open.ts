/**
 * The single-device sessions: `GpuProblem` on one WebGPU device, driven by `cg` or `gd`
 * ({@link SolverSession}) or by the sequential `epie` / `rpie` ({@link PieSession}).
 */
import type { Dataset } from "../data/dataset.ts";
import { type Gpu, requestGpu } from "../gpu/device.ts";
import { GpuProblem, type GpuVariables } from "../problem/gpu_problem.ts";
import { gpuUpdates } from "../solvers/pie.ts";
import { type InitialGuess, initialGuess } from "./initial.ts";
import type { OpenSessionOptions } from "./open.ts";
import type { ReconstructOptions } from "./options.ts";
import { PieSession } from "./pie_session.ts";
import type { Session } from "./session.ts";
import { SolverSession } from "./solver_session.ts";

/** Opens a session on one device for `o.options.algorithm`, restored from the checkpoint. */
export async function openSingleDevice(o: OpenSessionOptions): Promise<Session> {
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
    if (options.algorithm === "epie" || options.algorithm === "rpie") {
      const session = new PieSession({
        ...common,
        gpu,
        target: await gpuUpdates(owned),
        variant: options.algorithm,
        seed: options.seed,
      });
      if (o.checkpoint) await session.restore(o.checkpoint);
      return session;
    }
    const session = new SolverSession<GpuVariables>({
      ...common,
      io: {
        read: (v) => owned.download(v),
        write: (v, parts) => {
          gpu.write(v.object, parts.object);
          gpu.write(v.probe, parts.probe);
          return Promise.resolve();
        },
        settle: () => gpu.finish(),
      },
      algorithm: options.algorithm,
      adapter: gpu.info,
      deviceBytesPeak: () => [gpu.memory.peak],
      release: () => {
        owned.dispose();
        gpu.destroy();
      },
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
  });
}
