// LSQ-ML's exit-wave update for the Poisson likelihood (Odstrčil, Menzel and Guizar-Sicairos,
// Opt. Express 26, 3108, 2018): a relaxed step from the far fields Psi toward the data,
//   Psi'_k = Psi_k (1 - alpha xi),  xi = 1 - d / J,  J = sum_k |Psi_k|^2 + EPSILON,
// with one step alpha per position (frame), the minimiser over [0, 1] of the frame's Poisson
// likelihood along it,
//   phi(alpha) = sum_q w_q (J_q s_q^2 - d_q log(J_q s_q^2)),  s_q = 1 - alpha xi_q,
// by Newton's method from the alpha the caller wrote (POISSON_STEP_START of
// src/cost/poisson_step.ts; phi is convex on [0, 1]: phi'' = 2 sum w xi^2 (J + d / s^2) > 0, and
// s >= min(1, d / J) > 0 for d > 0), each iterate clamped to [0, 1]:
//   terms:  per frame and lane, the lane's sums of phi' / 2 = sum w xi (d / s - J s) and of
//           phi'' / 2 = sum w xi^2 (J + d / s^2) at the frame's current alpha;
//   newton: per frame, the `lanes` sums in lane order (terms' LANES, or the invocations of the
//           far field's FFT pass that summed the same terms in its stores, wgsl/cost_store.wgsl),
//           then alpha <- clamp(alpha - phi' / phi'')
//           (alpha starts where the caller put it);
//           alpha <- 0 where phi'' = 0 (a frame whose model fits its every pixel);
//   apply:  Psi_k <- w alpha xi Psi_k, the update's G = Psi - Psi' (masked pixels 0).
// Near the fit (J ~ d) alpha ~ 1/2 and alpha xi ~ 1 - sqrt(d / J): the modulus projection of the
// Gaussian model; where counts are few, the dark and the bright pixels of a frame pull alpha
// below that, so a frame's noise is not fitted in one step.
//
// Bindings (group 0, in binding order): 0 params Step  1 frames: array<f32> (count x M x M,
// stored layout, the batch's frames)  2 weights: array<f32> (M x M, 1 good, 0 bad)
// 3 far: array<vec2f> (read_write, count x K x M x M, stored layout; apply overwrites it)
// 4 alpha: array<f32> (read_write, count)  5 sums: array<vec2f> (read_write, count x lanes).
// Entry points: terms (reads 0-5, writes sums), newton (reads sums, updates alpha; `count`
// invocations), apply (reads alpha, overwrites far).
// Override constant: EPSILON (POISSON_STEP_FLOOR of src/cost/poisson_step.ts, in counts).
// Workgroup size 64: terms runs one workgroup per frame (LANES = 64 lanes, lane l summing the
// frame's pixels l, l + 64, ... in order); newton and apply a linear index
// (wid.x + wid.y * nwg.x) 64 + lid over frames and over pixels.

override EPSILON: f32;

struct Step {
  m2: u32,
  modes: u32,
  count: u32,
  lanes: u32,
}

@group(0) @binding(0) var<uniform> params: Step;
@group(0) @binding(1) var<storage, read> frames: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> far: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> alpha: array<f32>;
@group(0) @binding(5) var<storage, read_write> sums: array<vec2f>;

const LANES: u32 = 64u;

// J = sum_k |Psi_k|^2 + EPSILON of pixel q of frame b.
fn guarded(b: u32, q: u32) -> f32 {
  let base = b * params.modes * params.m2 + q;
  var intensity = EPSILON;
  for (var k = 0u; k < params.modes; k++) {
    let v = far[base + k * params.m2];
    intensity += dot(v, v);
  }
  return intensity;
}

// Shared with the far field's fused stores (src/cost/poisson_step.ts exports the text from
// "shared: begin" to "shared: end" as NEWTON_TERMS_WGSL, which src/cost/far_field_cost.ts appends
// to wgsl/cost_store.wgsl), so both round alike.
// shared: begin
// One pixel's terms of phi' / 2 and phi'' / 2 at step a: weight w, J and count d.
fn newton_terms(w: f32, j: f32, d: f32, a: f32) -> vec2f {
  let xi = 1.0 - d / j;
  let s = 1.0 - a * xi;
  var ds = 0.0;
  var ds2 = 0.0;
  if (d > 0.0) {
    ds = d / s;
    ds2 = ds / s;
  }
  return vec2f(w * xi * (ds - j * s), w * xi * xi * (j + ds2));
}
// shared: end

@compute @workgroup_size(64)
fn terms(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= params.count) {
    return;
  }
  let a = alpha[b];
  var slope = 0.0;
  var curvature = 0.0;
  for (var q = lid; q < params.m2; q += LANES) {
    let w = weights[q];
    if (w != 0.0) {
      let t = newton_terms(w, guarded(b, q), frames[b * params.m2 + q], a);
      slope += t.x;
      curvature += t.y;
    }
  }
  sums[b * LANES + lid] = vec2f(slope, curvature);
}

@compute @workgroup_size(64)
fn newton(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let b = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (b >= params.count) {
    return;
  }
  var total = vec2f(0.0, 0.0);
  for (var l = 0u; l < params.lanes; l++) {
    total += sums[b * params.lanes + l];
  }
  var next = 0.0;
  if (total.y > 0.0) {
    // phi' / phi'' = slope / curvature.
    next = clamp(alpha[b] - total.x / total.y, 0.0, 1.0);
  }
  alpha[b] = next;
}

@compute @workgroup_size(64)
fn apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  if (i >= params.count * params.m2) {
    return;
  }
  let b = i / params.m2;
  let q = i - b * params.m2;
  let d = frames[i];
  let factor = weights[q] * alpha[b] * (1.0 - d / guarded(b, q));
  let base = b * params.modes * params.m2 + q;
  for (var k = 0u; k < params.modes; k++) {
    far[base + k * params.m2] *= factor;
  }
}
