/** The shared description of a data set. */
export * from "./dataset.ts";
