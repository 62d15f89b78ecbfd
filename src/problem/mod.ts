export * from "./gpu_problem.ts";
export * from "./reduction.ts";
export * from "./position_updates.ts";
