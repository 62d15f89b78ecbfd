/** Physics on the host: geometry, the float64 reference forward model and its problem. */
export * from "./geometry.ts";
export * from "./model.ts";
export * from "./reference.ts";
export * from "./reference_problem.ts";
export * from "./positions.ts";
