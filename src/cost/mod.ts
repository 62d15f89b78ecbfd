export * from "./far_field_cost.ts";
export * from "./exit_update.ts";
