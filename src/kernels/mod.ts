export * from "./elementwise.ts";
export * from "./reduce.ts";
