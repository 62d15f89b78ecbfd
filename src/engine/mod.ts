/** The reconstruction pipeline behind `tessera reconstruct`: input, sessions, checkpoints, outputs. */
export * from "./checkpoint.ts";
export * from "./grants.ts";
export * from "./initial.ts";
export * from "./input.ts";
export * from "./metrics.ts";
export * from "./options.ts";
export * from "./outputs.ts";
export * from "./permissions.ts";
export * from "./pie_open.ts";
export * from "./pie_session.ts";
export * from "./probe.ts";
export * from "./reconstruct.ts";
export * from "./report.ts";
export * from "./session.ts";
export * from "./tiled.ts";
export * from "./version.ts";
