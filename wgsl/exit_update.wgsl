// The exit-wave update of the projection algorithms (difference map, RAAR), on detector-plane
// waves: with phi_k the model's waves (P O propagated to the detector) and psi_k the stored exit
// waves (also propagated), for every pixel q of position b and mode k
//   f_k = 2 phi_k - psi_k                             (the reflection through the overlap set)
//   Pi_F(f)_k = f_k sqrt(d) / sqrt(sum_k |f_k|^2)     (Fourier-modulus projection, all modes
//                                                      scaled alike; f_k kept on masked pixels,
//                                                      0 where sum_k |f_k|^2 = 0)
//   psi_k <- beta (psi_k + Pi_F(f)_k - phi_k) + (1 - beta) phi_k
// (Luke 2005's RAAR with the overlap projection first; beta = 1 is the difference map of Thibault
// et al. 2009 with its alpha = 1). With init = 1 the stored waves are taken to be phi (the
// start, psi = P O, as PtyPy does) and are only written.
//
// Bindings (group 0, in binding order): 0 params Update  1 frames: array<f32> (count x M x M,
// stored layout, the batch's frames)  2 weights: array<f32> (M x M, 1 good, 0 bad)
// 3 model: array<vec2f> (count x K x M x M, phi)  4 exits: array<vec2f> (read_write,
// count x K x M x M, psi; overwritten).
// No override constants. Workgroup size 256, one invocation per pixel of a position (all modes),
// linear workgroup index wid.x + wid.y * nwg.x.

struct Update {
  m2: u32,
  modes: u32,
  count: u32,
  init: u32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> update: Update;
@group(0) @binding(1) var<storage, read> frames: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> model: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> exits: array<vec2f>;

const MAX_MODES: u32 = 8u;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= update.count * update.m2) {
    return;
  }
  let b = i / update.m2;
  let q = i % update.m2;
  let base = b * update.modes * update.m2 + q;
  var f: array<vec2f, MAX_MODES>;
  var intensity = 0.0;
  for (var k = 0u; k < update.modes; k++) {
    let phi = model[base + k * update.m2];
    var psi = phi;
    if (update.init == 0u) {
      psi = exits[base + k * update.m2];
    }
    f[k] = 2.0 * phi - psi;
    intensity += dot(f[k], f[k]);
  }
  var factor = 1.0;
  if (weights[q] != 0.0) {
    factor = 0.0;
    if (intensity > 0.0) {
      factor = sqrt(max(frames[i], 0.0) / intensity);
    }
  }
  let beta = update.beta;
  for (var k = 0u; k < update.modes; k++) {
    let phi = model[base + k * update.m2];
    var psi = phi;
    if (update.init == 0u) {
      psi = exits[base + k * update.m2];
    }
    exits[base + k * update.m2] = beta * (psi + factor * f[k] - phi) + (1.0 - beta) * phi;
  }
}
