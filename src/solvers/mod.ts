/** Solvers: `cg` and `gd` over any {@link Problem}, the sequential `epie` / `rpie`, and `lsqml`. */
export * from "./types.ts";
export * from "./gradient_solver.ts";
export * from "./cg.ts";
export * from "./pie.ts";
export * from "./lsqml.ts";
export * from "./projection.ts";
