/** Chooses what runs a reconstruction: one device, or the tiled engine's workers. */
import type { Dataset } from "../data/dataset.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { ReconstructOptions } from "./options.ts";
import type { Session } from "./session.ts";
import { openSingleDevice } from "./single_device.ts";
import { openTiled } from "./tiled.ts";

/** Options of {@link openSession}. */
export interface OpenSessionOptions {
  options: ReconstructOptions;
  dataset: Dataset;
  /** State to continue from (`--resume`), or null for a new run. */
  checkpoint: Checkpoint | null;
  log: (line: string) => void;
}

/** Starts a session for `options`; tiled runs go to `src/tiled/`. */
export async function openSession(o: OpenSessionOptions): Promise<Session> {
  const [rows, cols] = o.options.tiles;
  if (rows * cols > 1 || o.options.workers > 1) return await openTiled(o);
  if (o.options.memoryBudget !== null) {
    // Streaming within a budget is what tiles are for; one device holds the whole problem.
    o.log("--memory-budget applies to tiled runs (--tiles, --workers); one device holds it all");
  }
  return await openSingleDevice(o);
}
