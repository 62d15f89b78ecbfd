/**
 * The sessions of the sequential `epie` / `rpie` ({@link PieSession}): `GpuProblem` on one WebGPU
 * device, built by the engine's tiles' one assembly (`deviceProblem`: the same options, batch
 * rule and gather), with their checkpoint format.
 */
import { requestGpu } from "../gpu/device.ts";
import type { GpuProblem } from "../problem/gpu_problem.ts";
import { gpuUpdates } from "../solvers/pie.ts";
import { deviceProblem, runSettings } from "./device_problem.ts";
import { initialGuess } from "./initial.ts";
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
    const [h, w] = dataset.objectShape;
    problem = await deviceProblem({
      gpu,
      run: runSettings(dataset, options, guess),
      frame: dataset.frame,
      frames: dataset.frames,
      positionsY: dataset.positionsY,
      positionsX: dataset.positionsX,
      objectShape: [h, w],
    });
    const owned = problem;
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
