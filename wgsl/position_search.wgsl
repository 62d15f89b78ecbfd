// Each frame's own cost, for position correction's search (src/problem/position_search.ts): the
// far fields of `count` candidate placements, each compared with its measured frame, summed per
// candidate. Candidate c compares with frame c x stride of the bound frames: stride 1 gives each
// position of a batch its own frame, stride 0 every candidate the same frame (one position tried
// at several shifts). The per-pixel cost is cost.wgsl's (its "shared" part is appended by the
// loader, so the two round alike): I = sum_k |Psi_k|^2, Poisson (model 0) I - d L(I) under the floor
// less d - d log d, or Gaussian (model 1) (sqrt(I + e) - sqrt(d))^2, times the
// mask weight.
//
// Entry point and bindings (group 0, in binding order):
//   frame_costs: 0 params Search  1 frames: array<f32> (the call's frames, M x M each, stored
//           layout)  2 weights: array<f32> (M x M, 1 good, 0 bad)  3 far: array<vec2f> (count x K
//           x M x M, stored layout)  4 out: array<vec4f> (read_write)
//           out[first + c] <- (sum of the cost, sum of weight |sqrt(I) - sqrt(d)|,
//           sum of weight sqrt(d), 0) over candidate c's pixels
// One workgroup per candidate (linear index wid.x + wid.y * nwg.x); a fixed-order tree
// reduction, so the bits depend on the inputs alone. Override constants (declared in cost.wgsl's
// shared part): EPSILON and FLOOR, as there. Workgroup size 256.

struct Search {
  m2: u32,
  modes: u32,
  count: u32,
  first: u32,
  model: u32,
  stride: u32,
}

@group(0) @binding(0) var<uniform> search: Search;
@group(0) @binding(1) var<storage, read> frames: array<f32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read> far: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4f>;

var<workgroup> sums: array<vec4f, 256>;

@compute @workgroup_size(256)
fn frame_costs(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let c = wid.x + wid.y * nwg.x;
  var acc = vec4f(0.0, 0.0, 0.0, 0.0);
  if (c < search.count) {
    let base = c * search.modes * search.m2;
    let frame = c * search.stride * search.m2;
    for (var q = lid; q < search.m2; q += 256u) {
      var intensity = 0.0;
      for (var k = 0u; k < search.modes; k++) {
        let v = far[base + k * search.m2 + q];
        intensity += dot(v, v);
      }
      let d = frames[frame + q];
      let weight = weights[q];
      let f = cost_and_factor(intensity, d, search.model).x;
      let amplitude = sqrt(d);
      acc += weight * vec4f(f, abs(sqrt(intensity) - amplitude), amplitude, 0.0);
    }
  }
  sums[lid] = acc;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half >>= 1u) {
    if (lid < half) {
      sums[lid] += sums[lid + half];
    }
    workgroupBarrier();
  }
  if (lid == 0u && c < search.count) {
    out[search.first + c] = sums[0];
  }
}
