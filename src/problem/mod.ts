export * from "./gpu_problem.ts";
export * from "./reduction.ts";
