/** Simulated data sets: seeded randomness, phantoms, scans, probes and noise. */
export * from "./random.ts";
