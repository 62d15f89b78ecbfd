/** The live view of `reconstruct --serve`: its address, server and page. */
export * from "./address.ts";
export * from "./live_view.ts";
export * from "./page.ts";
