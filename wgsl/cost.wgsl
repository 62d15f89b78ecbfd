// Cost of a batch of far fields and, optionally, its gradient with respect to conj(far field).
// For each detector pixel q of position first + b: I = sum_k |Psi_k|^2, and with e = EPSILON,
// c = FLOOR
//   Poisson (model 0):  f = I - d L(I)                   dF/dconj(Psi_k) = (1 - d L'(I)) Psi_k
//                       L = log at and above c, log c + t - t^2 / 2 with t = (I - c) / c below
//                       (poissonPixel of src/physics/model.ts); summed less the constant
//                       d - d log d, which the host adds (FarFieldCost.constant)
//   Gaussian (model 1): f = (sqrt(I + e) - sqrt(d))^2    dF/dconj(Psi_k) = (1 - sqrt(d / (I + e))) Psi_k
// times the mask weight (0 for bad pixels). The d log I term is dropped where d = 0. Beside each
// cost term, the numerator of the amplitude R-factor: weight | sqrt(I) - sqrt(d) |.
//
// Bindings (group 0, in binding order): 0 params Costs  1 frames: array<f32> (N x M x M, stored
// layout)  2 weights: array<f32> (M x M, 1 good, 0 bad)  3 far: array<vec2f> (read_write,
// count x K x M x M, stored layout; overwritten by the gradient when gradient = 1)
// 4 runs: array<vec2f> (read_write): runs[w 256 + lid] <- (sum of f, sum of the R-factor
// numerator) over the pixels w 4096 + j 256 + lid, j = 0 .. PIXELS - 1, that exist (0 when none
// do); ceil(pixels / 4096) workgroups.
// Override constants (declared in the shared part): EPSILON (the Gaussian cost's intensity guard,
// INTENSITY_EPSILON of src/physics/model.ts), FLOOR (the Poisson cost's floor, POISSON_FLOOR).
// Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Costs {
  m2: u32,
  modes: u32,
  count: u32,
  first: u32,
  model: u32,
  gradient: u32,
  log2_m2: u32,
}

@group(0) @binding(0) var<uniform> costs: Costs;
@group(0) @binding(1) var<storage, read> frames: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> far: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> runs: array<vec2f>;

const PIXELS: u32 = 16u;


// Shared with the cost fused into the far-field FFT (src/cost/far_field_cost.ts copies the text
// from "shared: begin" to "shared: end" into it), so both round alike.
// shared: begin
override EPSILON: f32;
override FLOOR: f32;

// r - log(1 + r) for r = (i - d) / d (i >= FLOOR > 0), by its Taylor series
// r^2 (1/2 - r (1/3 - r (1/4 - ...))) for small |r|. Far from 1 the log takes the ratio itself:
// for a dim model pixel under a bright count, 1 + r rounds to 0 and log(1 + r) would be -inf.
fn r_minus_log1p(i: f32, d: f32) -> f32 {
  let r = (i - d) / d;
  if (abs(r) > 0.25) {
    return r - log(i / d);
  }
  // Horner form of 1/2 - r/3 + r^2/4 - ... - r^11/13 (truncation below 3e-8 relative).
  var acc = 1.0 / 13.0;
  acc = 1.0 / 12.0 - r * acc;
  acc = 1.0 / 11.0 - r * acc;
  acc = 1.0 / 10.0 - r * acc;
  acc = 1.0 / 9.0 - r * acc;
  acc = 1.0 / 8.0 - r * acc;
  acc = 1.0 / 7.0 - r * acc;
  acc = 1.0 / 6.0 - r * acc;
  acc = 1.0 / 5.0 - r * acc;
  acc = 1.0 / 4.0 - r * acc;
  acc = 1.0 / 3.0 - r * acc;
  acc = 1.0 / 2.0 - r * acc;
  return r * r * acc;
}

// (cost term, gradient factor) of a pixel of model intensity I and count d under `model`.
fn cost_and_factor(intensity: f32, d: f32, model: u32) -> vec2<f32> {
  var f: f32;
  var factor: f32;
  if (model == 0u) {
    // Minus d - d log d (added back in float64 on the host). At and above the floor, with
    // r = (I - d) / d the term is d (r - log(1 + r)), which a series keeps accurate near the
    // solution, where a line search compares nearby costs. Below it the term is the same at c
    // plus the polynomial's rise from c: t (c - d) + d t^2 / 2.
    f = intensity;
    factor = 1.0;
    if (d > 0.0) {
      if (intensity >= FLOOR) {
        f = d * r_minus_log1p(intensity, d);
        factor = 1.0 - d / intensity;
      } else {
        let t = (intensity - FLOOR) / FLOOR;
        f = d * r_minus_log1p(FLOOR, d) + t * (FLOOR - d) + 0.5 * d * t * t;
        factor = 1.0 - d * (1.0 - t) / FLOOR;
      }
    }
  } else {
    // (sqrt(I + e) - sqrt(d))^2 without the cancellation of the difference of square roots.
    let guarded = intensity + EPSILON;
    let r = sqrt(guarded);
    let s = (guarded - d) / (r + sqrt(d));
    f = s * s;
    factor = 1.0 - sqrt(d) / r;
  }
  return vec2<f32>(f, factor);
}
// shared: end

// The cost term and R-factor numerator of detector pixel i (position i / M^2); overwrites its
// far fields with the gradient when asked.
fn pixel(i: u32) -> vec2f {
  // m2 is a power of two: shifts, not integer divisions (slow on SIMD CPUs).
  let b = i >> costs.log2_m2;
  let q = i & (costs.m2 - 1u);
  let base = b * costs.modes * costs.m2 + q;
  var intensity = 0.0;
  for (var k = 0u; k < costs.modes; k++) {
    let v = far[base + k * costs.m2];
    intensity += dot(v, v);
  }
  let d = frames[(costs.first + b) * costs.m2 + q];
  let term = cost_and_factor(intensity, d, costs.model);
  let f = term.x;
  let factor = term.y;
  let weight = weights[q];
  if (costs.gradient == 1u) {
    for (var k = 0u; k < costs.modes; k++) {
      far[base + k * costs.m2] *= weight * factor;
    }
  }
  return weight * vec2f(f, abs(sqrt(intensity) - sqrt(d)));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let total = costs.count * costs.m2;
  // Invocation t sums PIXELS pixels in a fixed order into runs[t]; no workgroup barrier, which
  // costs more than the arithmetic on CPU adapters. Reductions.sumRuns finishes the sum.
  var f = vec2f(0.0, 0.0);
  for (var j = 0u; j < PIXELS; j++) {
    let i = w * 256u * PIXELS + j * 256u + lid;
    if (i < total) {
      f += pixel(i);
    }
  }
  runs[w * 256u + lid] = f;
}
