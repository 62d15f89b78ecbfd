// LSQ-ML's Poisson exit-wave update (the `apply` of wgsl/poisson_step.wgsl) fused into the first
// loads of the far field's adjoint FFT (src/cost/poisson_step.ts, PoissonExitStep.fused);
// appended to a generated FFT pass (src/fft/_codegen.ts, which calls fused_load with the frame
// f = b K + k and the element's index q in its M x M frame, the input's shift applied):
//   fused_load (first pass):  G[f, q] = w_q alpha_b (1 - d_bq / J_bq) Psi[f, q] with
//                             J_bq = sum_k |Psi[b K + k, q]|^2 + EPSILON: what `apply` stores,
//                             with the same float32 operations in the same order, so the bits do
//                             not depend on the fusion; src (binding 1) the far fields Psi,
//                             count x K x M x M in stored layout, read only
// Bindings (group 0) after the FFT's 0 - 3: 4 poisson_load: PoissonLoad (uniform)
// 5 frames: array<f32> (count x M x M, stored layout)  6 weights: array<f32> (M x M, 1 good,
// 0 bad)  7 alpha: array<f32> (count, each frame's step as `terms` and `newton` left it). Only
// the loading pass is compiled, so fused_store and fused_finish are not defined.
// Override constants: EPSILON (POISSON_STEP_FLOOR of src/cost/poisson_step.ts, in counts) and MODES
// (the probe modes K).
// Workgroup size that of the FFT pass.

override EPSILON: f32;
// Probe modes K: a constant, so that with one mode the sum over modes is straight-line code. On
// the software adapter every storage access inside a loop runs under a per-lane mask (with the
// loop over one mode this transform took 1.12 to 1.26 times as long).
override MODES: u32;

struct PoissonLoad {
  log2_m: u32,
}

@group(0) @binding(4) var<uniform> poisson_load: PoissonLoad;
@group(0) @binding(5) var<storage, read> frames: array<f32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read> alpha: array<f32>;

fn fused_load(f: u32, index: u32) -> vec2<f32> {
  // The position of frame f and its mode.
  let b = f / MODES;
  let shift = 2u * poisson_load.log2_m;
  let base = ((b * MODES) << shift) + index;
  // Frame f's own value is kept from the sum over modes instead of loaded again.
  let first = src[base];
  var intensity = EPSILON + dot(first, first);
  var own = first;
  for (var k = 1u; k < MODES; k++) {
    let v = src[base + (k << shift)];
    intensity += dot(v, v);
    own = select(own, v, k == f - b * MODES);
  }
  let d = frames[(b << shift) + index];
  let factor = weights[index] * alpha[b] * (1.0 - d / intensity);
  return own * factor;
}
