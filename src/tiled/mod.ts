/** The tiled engine: workers, each with its own device, reconstructing their tiles together. */
export * from "./payload.ts";
export * from "./session.ts";
export * from "./stitch.ts";
export * from "./ownership.ts";
export * from "./checkpoint.ts";
