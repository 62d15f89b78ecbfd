/** The shared description of a data set. */
export * from "./dataset.ts";
export * from "./errors.ts";
