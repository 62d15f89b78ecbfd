/**
 * Chooses what runs a reconstruction: `cg`, `gd` and `lsqml` always run on the engine's tiles (one tile
 * in process, or workers), `epie` and `rpie` on one device.
 */
import { InputError } from "../data/errors.ts";
import { POSITION_REFUSALS } from "./options.ts";
import type { OpenSessionOptions, Session } from "./session.ts";
import { openPie } from "./pie_open.ts";
import { openEngine } from "./engine_open.ts";

/** Starts a session for `options`. */
export async function openSession(o: OpenSessionOptions): Promise<Session> {
  const { algorithm, tiles: [rows, cols], workers } = o.options;
  const refusal = POSITION_REFUSALS[algorithm];
  if ((o.options.correctPositionsFrom ?? null) !== null && refusal) {
    throw new InputError(
      `--correct-positions-from works with --algorithm cg, gd and lsqml, not ${algorithm} ` +
        `(${refusal}).`,
    );
  }
  if ((algorithm === "epie" || algorithm === "rpie") && rows * cols === 1 && workers === 1) {
    if (o.options.memoryBudget !== null) {
      o.log(
        `--memory-budget does not apply to ${algorithm}, which holds the whole problem on one device`,
      );
    }
    return await openPie({ ...o, variant: algorithm });
  }
  return await openEngine(o);
}
