export * from "./far_field_cost.ts";
export * from "./exit_update.ts";
export * from "./poisson_step.ts";
