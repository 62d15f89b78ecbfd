/** Batched unitary 2D FFTs on the GPU and the float64 reference they are checked against. */
export * from "./fft2.ts";
export * from "./reference.ts";
