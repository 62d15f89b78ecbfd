/** Errors a caller of the GPU layer is expected to catch. */

/** No WebGPU adapter could be obtained; the message says what was tried and what to install. */
export class GpuUnavailableError extends Error {
  override name = "GpuUnavailableError";
}

/** The device was lost (driver reset, out of memory, destroyed) while work was pending. */
export class DeviceLostError extends Error {
  override name = "DeviceLostError";
}

/** A WGSL module or pipeline failed validation; the message names the file and line. */
export class ShaderError extends Error {
  override name = "ShaderError";
}

/** A dispatch, copy or allocation failed device validation (shapes, limits, bindings). */
export class GpuValidationError extends Error {
  override name = "GpuValidationError";
}
