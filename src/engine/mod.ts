/** The single-device reconstruction pipeline behind `tessera reconstruct`. */
export * from "./checkpoint.ts";
export * from "./options.ts";
export * from "./reconstruct.ts";
export * from "./report.ts";
export * from "./session.ts";
