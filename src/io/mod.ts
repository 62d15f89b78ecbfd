/** Data in and out: CXI reading and writing, product files, pictures, reports, inspect. */
export * from "./atomic.ts";
export * from "./convergence_svg.ts";
export { CxiFrames, type FrameStatistics } from "./cxi_frames.ts";
export { CXI } from "./cxi_paths.ts";
export * from "./cxi_reader.ts";
export * from "./cxi_writer.ts";
export * from "./inspect.ts";
export * from "./line_plot.ts";
export * from "./pictures.ts";
export * from "./png.ts";
export * from "./product.ts";
export * from "./report.ts";
export * from "./report_html.ts";
export * from "./results.ts";
export * from "./scan.ts";
