/** Tiling of the object plane: tiles, owners, extended regions, overlaps, gather indices. */
export * from "./plan.ts";
export * from "./reference.ts";
export * from "./types.ts";
export * from "./wasm.ts";
