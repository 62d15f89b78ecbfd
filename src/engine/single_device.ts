/** The single-device session: `GpuProblem` on one WebGPU device, driven by `cg` or `gd`. */
import { InputError } from "../data/errors.ts";
import { requestGpu } from "../gpu/device.ts";
import { GpuProblem, type GpuVariables } from "../problem/gpu_problem.ts";
import type { OpenSessionOptions } from "./open.ts";
import { initialProbe } from "./probe.ts";
import type { Session } from "./session.ts";
import { SolverSession } from "./solver_session.ts";

/** Iteration from which an estimated probe (no illumination in the file) is refined. */
export const ESTIMATED_PROBE_REFINEMENT = 10;

/** Opens a `cg` or `gd` session on one device, restored from the checkpoint when given. */
export async function openSingleDevice(o: OpenSessionOptions): Promise<Session> {
  const { options, dataset } = o;
  if (options.algorithm !== "cg" && options.algorithm !== "gd") {
    throw new InputError(
      `--algorithm ${options.algorithm} is not available in this build yet: use cg or gd.`,
    );
  }
  const slices = options.slices;
  const sliceDistance = options.sliceThickness ?? dataset.sliceThickness;
  if (slices > 1 && !sliceDistance) {
    throw new InputError(
      `--slices ${slices} needs the distance between slices: ${dataset.source} gives none, ` +
        "so pass --slice-thickness METRES.",
      dataset.source,
    );
  }
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
      sliceDistance: sliceDistance ?? undefined,
      wavelength: dataset.geometry.wavelength,
      pixelSize: dataset.geometry.objectPixel,
      modes: options.probeModes,
      noise: options.noise,
      mask: dataset.mask,
    });
    // A transparent object (modulus 1, phase 0) is the neutral start: the first gradient then
    // comes from the probe and the data alone.
    const object = new Float32Array(2 * slices * h * w);
    for (let i = 0; i < object.length; i += 2) object[i] = 1;
    const probe = await initialProbe(dataset, options.probeModes);
    const given = dataset.illumination?.shape.length === 3 ? dataset.illumination.shape[0] : 0;
    const estimated = given < options.probeModes;
    const refineProbeFrom = options.refineProbeFrom ??
      (estimated ? ESTIMATED_PROBE_REFINEMENT : undefined);
    if (estimated) {
      o.log(`Probe estimated from the data; refined from iteration ${refineProbeFrom ?? "never"}`);
    }
    const owned = problem;
    const session = new SolverSession<GpuVariables>({
      problem: owned,
      x: owned.upload(object, probe.data),
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
      refineProbeFrom,
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
