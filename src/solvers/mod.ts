/** Solvers: `cg` and `gd` over any {@link Problem}, and the sequential `epie` / `rpie`. */
export * from "./types.ts";
export * from "./gradient_solver.ts";
export * from "./cg.ts";
export * from "./pie.ts";
