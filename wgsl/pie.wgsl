// Sequential (ePIE / rPIE) updates of one position on the device, without readbacks.
//
// Entry points and bindings (group 0, in binding order):
//   powers:      0 params Pie  1 probe: array<vec2f> (K x M x M)  2 object: array<vec2f>
//                (S x H x W)  3 power: array<f32> (read_write, 2 M^2 + 2)
//                power[p] <- sum_k |P_k[p]|^2, power[M^2 + p] <- prod_s |O_s[window + p]|^2,
//                power[2 M^2] <- max of the first, power[2 M^2 + 1] <- max of the second.
//                Dispatch exactly one workgroup.
//   step_object: 0 params Pie  1 patch: array<vec2f> (M x M, dF/dconj(O_s) under the window)
//                2 power: array<f32>  3 object: array<vec2f> (read_write)
//                O_s[window + p] <- O_s[window + p] - step(power[p], max) patch[p] / S
//   step_probe:  0 params Pie  1 grad: array<vec2f> (K x M x M)  2 power: array<f32>
//                3 probe: array<vec2f> (read_write)
//                P_k[p] <- P_k[p] - step(power[M^2 + p], max) grad[k, p]
// with step(local, max) = alpha / max (ePIE, variant 0) or 1 / ((1 - alpha) local + alpha max)
// (rPIE, variant 1), alpha the object's or the probe's weight.
// No override constants. Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Pie {
  m: u32,
  log2_m: u32,
  modes: u32,
  slices: u32,
  width: u32,
  plane: u32,
  top: u32,
  left: u32,
  slice: u32,
  variant: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> pie: Pie;
@group(0) @binding(1) var<storage, read> probe_in: array<vec2f>;
@group(0) @binding(2) var<storage, read> object_in: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> power_out: array<f32>;
@group(0) @binding(1) var<storage, read> update: array<vec2f>;
@group(0) @binding(2) var<storage, read> power: array<f32>;
@group(0) @binding(3) var<storage, read_write> target_: array<vec2f>;

var<workgroup> peaks: array<vec2f, 256>;

fn window_index(p: u32) -> u32 {
  return (pie.top + (p >> pie.log2_m)) * pie.width + pie.left + (p & (pie.m - 1u));
}

fn step(local: f32, peak: f32) -> f32 {
  if (pie.variant == 0u) {
    return pie.alpha / peak;
  }
  return 1.0 / ((1.0 - pie.alpha) * local + pie.alpha * peak);
}

@compute @workgroup_size(256)
fn powers(@builtin(local_invocation_index) lid: u32) {
  let m2 = pie.m * pie.m;
  var peak = vec2f(0.0);
  for (var p = lid; p < m2; p += 256u) {
    var probe_power = 0.0;
    for (var k = 0u; k < pie.modes; k++) {
      let v = probe_in[k * m2 + p];
      probe_power += dot(v, v);
    }
    var object_power = 1.0;
    for (var s = 0u; s < pie.slices; s++) {
      let v = object_in[s * pie.plane + window_index(p)];
      object_power *= dot(v, v);
    }
    power_out[p] = probe_power;
    power_out[m2 + p] = object_power;
    peak = max(peak, vec2f(probe_power, object_power));
  }
  peaks[lid] = peak;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half >> 1u) {
    if (lid < half) {
      peaks[lid] = max(peaks[lid], peaks[lid + half]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    power_out[2u * m2] = peaks[0].x;
    power_out[2u * m2 + 1u] = peaks[0].y;
  }
}

@compute @workgroup_size(256)
fn step_object(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let p = (wid.x + wid.y * nwg.x) * 256u + lid;
  let m2 = pie.m * pie.m;
  if (p >= m2) {
    return;
  }
  let f = step(power[p], power[2u * m2]) / f32(pie.slices);
  let o = pie.slice * pie.plane + window_index(p);
  target_[o] = target_[o] - f * update[p];
}

@compute @workgroup_size(256)
fn step_probe(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let m2 = pie.m * pie.m;
  if (i >= pie.modes * m2) {
    return;
  }
  let p = i & (m2 - 1u);
  target_[i] = target_[i] - step(power[m2 + p], power[2u * m2 + 1u]) * update[i];
}
