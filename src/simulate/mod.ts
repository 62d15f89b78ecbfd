/** Simulated data sets: seeded randomness, phantoms, scans, probes and noise. */
export * from "./random.ts";
export * from "./dataset.ts";
export * from "./phantoms.ts";
export * from "./probes.ts";
export * from "./scans.ts";
