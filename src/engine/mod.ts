/**
 * The one engine: the session that runs `cg`, `gd`, `lsqml`, `dm` and `raar` on 1..N tiles
 * ({@link EngineSession}: one tile in process, workers, MPI ranks), its tiles' side (`tiles.ts`,
 * `worker_job.ts`, `streamed_store.ts`), and the reconstruction pipeline around it behind
 * `tessera reconstruct`: input, sessions (`epie`/`rpie` on one device beside the engine),
 * checkpoints, outputs.
 */
export * from "./checkpoint.ts";
export * from "./checkpoint_format.ts";
export * from "./engine_open.ts";
export * from "./engine_session.ts";
export * from "./grants.ts";
export * from "./initial.ts";
export * from "./input.ts";
export * from "./metrics.ts";
export * from "./options.ts";
export * from "./outputs.ts";
export * from "./ownership.ts";
export * from "./payload.ts";
export * from "./permissions.ts";
export * from "./pie_open.ts";
export * from "./pie_session.ts";
export * from "./probe.ts";
export * from "./reconstruct.ts";
export * from "./report.ts";
export * from "./session.ts";
export * from "./stitch.ts";
export * from "./version.ts";
