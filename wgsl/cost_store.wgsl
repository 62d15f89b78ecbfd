// The far-field cost of one-mode waves fused into the stores of the forward FFT that makes the
// far fields (src/cost/far_field_cost.ts appends cost_and_factor, r_minus_log1p and their constants, copied from
// wgsl/cost.wgsl, and newton_terms, copied from wgsl/poisson_step.wgsl; the FFT pass comes from
// src/fft/_codegen.ts):
//   fused_store: Psi = the stored value (fftshift applied) of pixel q of frame b (position
//                first + b); the cost term of (|Psi|^2, frames[first + b, q]) times weights[q]
//                is added to the invocation's sum, and dst[b, q] <- weight factor Psi when
//                store = 1 (the gradient), dst[b, q] <- Psi when store = 2 (the far field),
//                nothing when store = 0; weight | |Psi| - sqrt(d) | is added to the
//                invocation's R-factor numerator; when newton = 1, also the terms of the
//                Poisson exit-wave step's first Newton iteration (newton_terms of
//                wgsl/poisson_step.wgsl at alpha = step_start and J = step_floor + |Psi|^2, as
//                its `terms` takes them) to the invocation's slope and curvature
//   fused_finish: runs[invocation] <- (the invocation's cost sum, its R-factor numerator), for
//                Reductions.sumRuns; newton_sums[invocation] <- (its slope, its curvature) when
//                newton = 1 (the invocations of frame b are b P .. b P + P - 1, P per frame)
// Bindings (group 0) after the FFT's 0 - 3: 4 far_cost: CostStore (uniform)  5 frames:
// array<f32> (N x M x M, stored layout)  6 weights: array<f32> (M x M)  7 runs: array<vec2f>
// (read_write, one per invocation of the pass)  8 newton_sums: array<vec2f> (read_write, one per
// invocation; unwritten when newton = 0).
// Override constants: MODEL (below); EPSILON and FLOOR, declared in cost.wgsl's shared part, as
// there.
// Workgroup size that of the FFT pass.

// The noise model of the cost summed (0 Poisson, 1 Gaussian, as `model` in cost.wgsl): a constant,
// so that the pass computes one model's terms. The software adapter runs both sides of a branch
// on a uniform value (masked), and the Poisson side's series and logarithms took about a third
// of what this pass adds to a plain FFT pass, for the Gaussian cost that LSQ-ML reports.
override MODEL: u32;

struct CostStore {
  m2: u32,
  first: u32,
  store: u32,
  log2_m2: u32,
  newton: u32,
  step_floor: f32,
  step_start: f32,
}

@group(0) @binding(4) var<uniform> far_cost: CostStore;
@group(0) @binding(5) var<storage, read> frames: array<f32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> runs: array<vec2f>;
@group(0) @binding(8) var<storage, read_write> newton_sums: array<vec2f>;

var<private> cost_sum: f32 = 0.0;
var<private> residual_sum: f32 = 0.0;
var<private> slope_sum: f32 = 0.0;
var<private> curvature_sum: f32 = 0.0;

fn fused_store(f: u32, index: u32, value: vec2<f32>) {
  let d = frames[((far_cost.first + f) << far_cost.log2_m2) + index];
  let term = cost_and_factor(dot(value, value), d, MODEL);
  let weight = weights[index];
  cost_sum += weight * term.x;
  residual_sum += weight * abs(length(value) - sqrt(d));
  if (far_cost.newton == 1u && weight != 0.0) {
    let j = far_cost.step_floor + dot(value, value);
    let t = newton_terms(weight, j, d, far_cost.step_start);
    slope_sum += t.x;
    curvature_sum += t.y;
  }
  // One store for both kinds: each store in a branch costs its loop over the lanes, masked or not.
  if (far_cost.store != 0u) {
    dst[(f << far_cost.log2_m2) + index] = select(value, value * (weight * term.y), far_cost.store == 1u);
  }
}

fn fused_finish(invocation: u32) {
  runs[invocation] = vec2f(cost_sum, residual_sum);
  if (far_cost.newton == 1u) {
    newton_sums[invocation] = vec2f(slope_sum, curvature_sum);
  }
}
