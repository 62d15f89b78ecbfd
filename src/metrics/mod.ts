/** Image-quality metrics against a ground truth: phase PSNR and SSIM over the scanned area. */
export * from "./phase.ts";
export * from "./ssim.ts";
export * from "./project.ts";
