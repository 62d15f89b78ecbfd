// Elementwise work fused into the forward FFT that takes the first slice's exit-wave residuals
// to the probe's Fourier space (src/operators/exit_wave.ts, ExitWave.adjoint); appended to a
// generated FFT pass (src/fft/_codegen.ts, which calls fused_load with the frame f = b K + k and
// the element's index p in its M x M frame):
//   fused_load (first pass):  conj(O[window b, p]) chi[b, k, p], the chi-only `backward` kernel
//                             of wgsl/window.wgsl, with src (binding 1) the residuals chi
// Bindings (group 0) after the FFT's 0 - 3: 4 wave_adjoint: ExitWaveAdjoint (uniform)
// 5 origins: array<vec2i>  6 object: array<vec2f> (slice 0). Only the loading pass is compiled,
// so fused_store and fused_finish are not defined.
// No override constants; workgroup size that of the FFT pass.

struct ExitWaveAdjoint {
  m: u32,
  modes: u32,
  first: u32,
  width: u32,
  log2_m: u32,
}

@group(0) @binding(4) var<uniform> wave_adjoint: ExitWaveAdjoint;
@group(0) @binding(5) var<storage, read> origins: array<vec2<i32>>;
@group(0) @binding(6) var<storage, read> object: array<vec2<f32>>;

fn fused_load(f: u32, index: u32) -> vec2<f32> {
  // The position of frame f; a division only with several modes.
  var b = f;
  if (wave_adjoint.modes != 1u) {
    b = f / wave_adjoint.modes;
  }
  let o = origins[wave_adjoint.first + b];
  let y = u32(o.x) + (index >> wave_adjoint.log2_m);
  let x = u32(o.y) + (index & (wave_adjoint.m - 1u));
  let v = object[y * wave_adjoint.width + x];
  // The same product, operand for operand, as `backward`: the bits do not depend on the fusion.
  return cmul(vec2<f32>(v.x, -v.y), src[(f << (2u * wave_adjoint.log2_m)) + index]);
}
