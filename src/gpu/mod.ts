/** WebGPU runtime core: device acquisition, allocation, shader loading, dispatch and readback. */
export * from "./allocator.ts";
export * from "./device.ts";
export * from "./errors.ts";
export * from "./pipelines.ts";
