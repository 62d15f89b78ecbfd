// The angular-spectrum transfer function of wgsl/angular_spectrum.wgsl fused into the first loads
// of the inverse FFT that ends a near-field propagation (src/operators/near_field.ts); appended,
// with that file's shared block (frequency, transfer), to a generated FFT pass
// (src/fft/_codegen.ts, which calls fused_load with the frame f and the element's index p in its
// M x M frame):
//   fused_load (first pass):  H(p) spec[f, p] (conj(H) for the adjoint), with src (binding 1) the
//                             spectra in FFT order, count x M x M
// Bindings (group 0) after the FFT's 0 - 3: 4 near: NearFieldLoad (uniform). Only the loading pass
// is compiled, so fused_store and fused_finish are not defined.
// No override constants; workgroup size that of the FFT pass.

struct NearFieldLoad {
  log2_m: u32,
  conj: u32,
  a: f32,
  b: f32,
}

@group(0) @binding(4) var<uniform> near: NearFieldLoad;

fn fused_load(f: u32, index: u32) -> vec2<f32> {
  let h = transfer(index, near.log2_m, near.a, near.b, near.conj);
  let v = src[(f << (2u * near.log2_m)) + index];
  // The same product, operand for operand, as the kernel of wgsl/angular_spectrum.wgsl.
  return vec2<f32>(h.x * v.x - h.y * v.y, h.x * v.y + h.y * v.x);
}
