export * from "./gpu_problem.ts";
export { defaultBatchSize } from "./_setup.ts";
export * from "./reduction.ts";
export * from "./reduced_problem.ts";
export * from "./tile_store.ts";
export * from "./device_store.ts";
export * from "./position_updates.ts";
export * from "./lsqml_sweep.ts";
export * from "./lsqml_steps.ts";
