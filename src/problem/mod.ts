export * from "./gpu_problem.ts";
export { defaultBatchSize } from "./_setup.ts";
export * from "./reduction.ts";
export * from "./position_updates.ts";
export * from "./lsqml_sweep.ts";
export * from "./lsqml_steps.ts";
