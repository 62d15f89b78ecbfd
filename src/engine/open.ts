/** Chooses what runs a reconstruction: one device, or the tiled engine's workers. */
import type { Dataset } from "../data/dataset.ts";
import { InputError } from "../data/errors.ts";
import type { Checkpoint } from "./checkpoint.ts";
import type { ReconstructOptions } from "./options.ts";
import type { Session } from "./session.ts";
import { openSingleDevice } from "./single_device.ts";
import { PieSession } from "./pie_session.ts";

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
  if (rows * cols > 1 || o.options.workers > 1) {
    throw new InputError(
      `Tiled reconstruction (--tiles ${rows}x${cols} --workers ${o.options.workers}) is not ` +
        "available yet in this build: run with --tiles 1x1 --workers 1.",
    );
  }
  if (o.options.algorithm === "epie" || o.options.algorithm === "rpie") {
    return await PieSession.open(o);
  }
  return await openSingleDevice(o);
}
