/** The worker pool: Deno workers, shared-memory all-reduce and halo gradient exchange. */
export * from "./context.ts";
export * from "./exchange.ts";
export * from "./fabric.ts";
export * from "./pool.ts";
export * from "./strips.ts";
export * from "./gpu_strips.ts";
export * from "./reduction.ts";
export * from "./profile.ts";
