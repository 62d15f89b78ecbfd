/** The single-device session: `GpuProblem` on one WebGPU device, driven by `cg` or `gd`. */
import { requestGpu } from "../gpu/device.ts";
import { GpuProblem, type GpuVariables } from "../problem/gpu_problem.ts";
import type { OpenSessionOptions } from "./open.ts";
import { initialGuess } from "./initial.ts";
import type { Session } from "./session.ts";
import { SolverSession } from "./solver_session.ts";

/** Opens a `cg` or `gd` session on one device, restored from the checkpoint when given. */
export async function openSingleDevice(o: OpenSessionOptions): Promise<Session> {
  const { options, dataset } = o;
  if (options.algorithm !== "cg" && options.algorithm !== "gd") {
    throw new TypeError(`Cannot run ${options.algorithm} on the batched device problem`);
  }
  const slices = options.slices;
  const guess = await initialGuess(o);
  const gpu = await requestGpu({ label: "tessera" });
  let problem: GpuProblem | null = null;
  try {
    const [h, w] = dataset.objectShape;
    problem = await GpuProblem.create({
      gpu,
      frames: dataset.frames,
      positionsY: dataset.positionsY,
      positionsX: dataset.positionsX,
      frame: dataset.frame,
      objectShape: [h, w],
      slices,
      sliceDistance: guess.sliceDistance ?? undefined,
      wavelength: dataset.geometry.wavelength,
      pixelSize: dataset.geometry.objectPixel,
      modes: options.probeModes,
      noise: options.noise,
      mask: dataset.mask,
    });
    const owned = problem;
    const session = new SolverSession<GpuVariables>({
      problem: owned,
      x: owned.upload(guess.object, guess.probe.data),
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
      refineProbeFrom: guess.refineProbeFrom,
      objectShape: [slices, h, w],
      probeShape: [options.probeModes, dataset.frame, dataset.frame],
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
