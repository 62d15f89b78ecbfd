export * from "./far_field_cost.ts";
