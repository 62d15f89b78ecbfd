/**
 * Chooses what runs a reconstruction: `cg` and `gd` always run on the engine's tiles (one tile
 * in process, or workers), `epie` and `rpie` on one device.
 */
import type { Dataset } from "../data/dataset.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { ReconstructOptions } from "./options.ts";
import type { Session } from "./session.ts";
import { openPie } from "./pie_open.ts";
import { openTiled } from "./tiled.ts";

/** Options of {@link openSession}. */
export interface OpenSessionOptions {
  options: ReconstructOptions;
  dataset: Dataset;
  /** State to continue from (`--resume`), or null for a new run. */
  checkpoint: Checkpoint | null;
  log: (line: string) => void;
}

/** Starts a session for `options`. */
export async function openSession(o: OpenSessionOptions): Promise<Session> {
  const { algorithm, tiles: [rows, cols], workers } = o.options;
  if ((algorithm === "epie" || algorithm === "rpie") && rows * cols === 1 && workers === 1) {
    if (o.options.memoryBudget !== null) {
      o.log(
        `--memory-budget does not apply to ${algorithm}, which holds the whole problem on one device`,
      );
    }
    return await openPie({ ...o, variant: algorithm });
  }
  return await openTiled(o);
}
