export * from "./exit_wave.ts";
export * from "./far_field.ts";
export * from "./fresnel.ts";
export * from "./gather_index.ts";
export * from "./multislice.ts";
export * from "./object_windows.ts";
export * from "./probe_placement.ts";
export * from "./scan.ts";
