/**
 * Checkpoints of tiled runs: every tile's solver state, gathered from the workers, in the one
 * checkpoint file the engine writes atomically (`src/engine/checkpoint.ts`). A tile's vectors are
 * arrays named `tile <t>.<vector>.object` and `tile <t>.<vector>.probe`, its refined positions (with
 * position correction) `tile <t>.positions.y` and `.x`; its scalars are in the metadata. Resuming gives each tile back its solver state, so the run continues bit for bit.
 */
import { InputError } from "../data/errors.ts";
import type { TileSolverState } from "./payload.ts";

/** The arrays a checkpoint can hold. */
export type CheckpointArray = Float32Array | Float64Array | Int32Array | Uint32Array;

/** The content of a checkpoint: JSON metadata and named arrays (written by `src/engine/checkpoint.ts`). */
export interface Checkpoint {
  meta: Record<string, unknown>;
  arrays: Record<string, CheckpointArray>;
}

/** What the metadata of a tiled checkpoint holds besides the engine's own fields. */
interface TiledMeta {
  tiled: {
    /** Tiles that hold positions (the computed ones). */
    tiles: number;
    states: Array<Omit<TileSolverState, "vectors" | "positions"> & { vectors: string[] }>;
  };
  costs: number[];
  lastCost: number | null;
}

/** The checkpoint of a tiled run from its tiles' states and its costs so far. */
export function tiledCheckpoint(o: {
  states: TileSolverState[];
  costs: readonly number[];
  lastCost: number | null;
}): Checkpoint {
  const states = [...o.states].sort((a, b) => a.tile - b.tile);
  const arrays: Checkpoint["arrays"] = {};
  for (const s of states) {
    for (const [name, parts] of Object.entries(s.vectors)) {
      arrays[`tile ${s.tile}.${name}.object`] = parts.object;
      arrays[`tile ${s.tile}.${name}.probe`] = parts.probe;
    }
    if (s.positions) {
      arrays[`tile ${s.tile}.positions.y`] = s.positions.y;
      arrays[`tile ${s.tile}.positions.x`] = s.positions.x;
    }
  }
  const meta: TiledMeta = {
    tiled: {
      tiles: states.length,
      states: states.map(({ positions: _, ...s }) => ({ ...s, vectors: Object.keys(s.vectors) })),
    },
    costs: [...o.costs],
    lastCost: o.lastCost,
  };
  return { meta: { ...meta }, arrays };
}

/**
 * The vectors a tile's state must hold to be resumed, by algorithm (each solver's `state()`
 * writes them; `cg` alone keeps its direction and last gradient). A checkpoint written before a
 * solver gained a vector (`lsqml`'s last sweep, for its momentum) lacks it and cannot resume.
 */
const STATE_VECTORS: Record<string, readonly string[]> = {
  cg: ["x", "direction", "previousGradient"],
  gd: ["x"],
  lsqml: ["x", "previous"],
  dm: ["x", "exits"],
  raar: ["x", "exits"],
  epie: ["x"],
  rpie: ["x"],
};

/**
 * The tiles' states (indexed by tile) and the costs of a checkpoint written by
 * {@link tiledCheckpoint}, for a run over `tiles` computed tiles (errors name the checkpoint's
 * directory when `loadCheckpoint` gave one).
 *
 * @throws {InputError} when the checkpoint is not of a tiled run with the same tiles, or a tile's
 * state lacks a vector its algorithm needs (a checkpoint of an older Tessera, or a damaged one).
 */
export function tileStatesOf(checkpoint: Checkpoint & { dir?: string }, tiles: number): {
  states: TileSolverState[];
  costs: number[];
  lastCost: number | null;
} {
  const meta = checkpoint.meta as Partial<TiledMeta>;
  const file = checkpoint.dir;
  if (!meta.tiled || meta.tiled.tiles !== tiles) {
    const had = meta.tiled ? `${meta.tiled.tiles} tiles` : "one device";
    throw new InputError(
      `Cannot resume this tiled run (${tiles} tiles with positions) from a checkpoint of ` +
        `${had}: resume with the options the checkpoint was written with.`,
      file,
    );
  }
  const states = new Array<TileSolverState>(tiles);
  for (const s of meta.tiled.states) {
    const needed = STATE_VECTORS[s.algorithm] ?? ["x"];
    const arrays = s.vectors.flatMap((name) => [`${name}.object`, `${name}.probe`]);
    const missing = [
      ...needed.filter((name) => !s.vectors.includes(name)),
      ...arrays.filter((a) => !(checkpoint.arrays[`tile ${s.tile}.${a}`] instanceof Float32Array)),
    ];
    if (missing.length > 0) {
      throw new InputError(
        `Cannot resume from ${file ?? "this checkpoint"}: tile ${s.tile}'s ${s.algorithm} state ` +
          `lacks ${missing.join(", ")} (expected ${needed.join(", ")}, each with float32 object ` +
          "and probe arrays). It was written by an older Tessera or is damaged: start the run " +
          "again without --resume.",
        file,
      );
    }
    const vectors: TileSolverState["vectors"] = {};
    for (const name of s.vectors) {
      vectors[name] = {
        object: checkpoint.arrays[`tile ${s.tile}.${name}.object`] as Float32Array,
        probe: checkpoint.arrays[`tile ${s.tile}.${name}.probe`] as Float32Array,
      };
    }
    const y = checkpoint.arrays[`tile ${s.tile}.positions.y`];
    const x = checkpoint.arrays[`tile ${s.tile}.positions.x`];
    const positions = y && x ? { y: new Float64Array(y), x: new Float64Array(x) } : undefined;
    states[s.tile] = { ...s, vectors, ...(positions ? { positions } : {}) };
  }
  return { states, costs: meta.costs ?? [], lastCost: meta.lastCost ?? null };
}
