// LSQ-ML's per-batch floors (src/problem/lsqml_floor.ts), each in one invocation: the probe's
// inputs are one M x M frame (K of them), where a pass over workgroups and two folding passes
// cost more in dispatches than the loop costs in time.
//   object_floor: intensity[p] <- (sum_k |P_k[p]|^2 + ridge, 0) and floor <- (scale max_p sum_k
//           |P_k[p]|^2, 0): the windows' weight with its ridge, and the object direction's
//           floor taken before the ridge;
//   probe_floor: floor <- (scale max_p Re weight[p], 0): the probe direction's floor.
// Bindings (group 0, in binding order): 0 params Floor  1 probe: array<vec2f> (K x M x M)
// 2 intensity: array<vec2f> (read_write, M x M)  3 weight: array<vec2f> (M x M)
// 4 floor_: array<vec2f> (read_write, 1). object_floor binds 0, 1, 2 and 4, probe_floor 0, 3
// and 4.
// No override constants. Workgroup size 1.

struct Floor {
  m2: u32,
  modes: u32,
  scale: f32,
  ridge: f32,
}

@group(0) @binding(0) var<uniform> params: Floor;
@group(0) @binding(1) var<storage, read> probe: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> intensity: array<vec2f>;
@group(0) @binding(3) var<storage, read> weight: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> floor_: array<vec2f>;

@compute @workgroup_size(1)
fn object_floor() {
  var peak = -3.4028235e38;
  for (var p = 0u; p < params.m2; p++) {
    var sum = 0.0;
    for (var k = 0u; k < params.modes; k++) {
      let v = probe[k * params.m2 + p];
      sum += dot(v, v);
    }
    peak = max(peak, sum);
    intensity[p] = vec2f(sum + params.ridge, 0.0);
  }
  floor_[0] = vec2f(params.scale * peak, 0.0);
}

@compute @workgroup_size(1)
fn probe_floor() {
  var peak = -3.4028235e38;
  for (var p = 0u; p < params.m2; p++) {
    peak = max(peak, weight[p].x);
  }
  floor_[0] = vec2f(params.scale * peak, 0.0);
}
