// Sub-pixel probe placement: the probe spectrum times the Fourier shift ramp of each position,
// exp(-2 pi i (ky fy + kx fx)) with k in cycles per pixel in numpy fftfreq order (Nyquist
// negative), i.e. P(r - f) after the inverse FFT; and its adjoint summed over positions. The
// ramp is separable: ramps holds, per position, exp(-2 pi i ky fy) for the M rows, then
// exp(-2 pi i kx fx) for the M columns (computed in float64 on the host by Scan).
//
// Entry points and bindings (group 0, in binding order):
//   place:  0 params Batch  1 ramps: array<vec2f> (2 M per position)  2 spec: array<vec2f>
//           (K x M x M)  3 out: array<vec2f> (read_write, count x K x M x M)
//           out[b, k, p] <- spec[k, p] ramp(first + b, p)
//   gather: 0 params Batch  1 ramps  2 y: array<vec2f> (count x K x M x M)
//           3 acc: array<vec2f> (read_write, K x M x M)
//           acc[k, p] <- acc[k, p] + sum_{b in order} conj(ramp(first + b, p)) y[b, k, p]
// No override constants. Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Batch {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
  log2_m: u32,
}

@group(0) @binding(0) var<uniform> batch: Batch;
@group(0) @binding(1) var<storage, read> ramps: array<vec2f>;
@group(0) @binding(2) var<storage, read> src: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec2f>;

fn ramp(position: u32, p: u32) -> vec2f {
  let base = position * 2u * batch.m;
  return cmul(ramps[base + (p >> batch.log2_m)], ramps[base + batch.m + (p & (batch.m - 1u))]);
}

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(256)
fn place(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  let m2 = batch.m * batch.m;
  let per = m2 * batch.modes;
  if (i >= batch.count * per) {
    return;
  }
  var b = i >> (2u * batch.log2_m);
  if (batch.modes > 1u) {
    b = b / batch.modes;
  }
  let kp = i - b * per;
  dst[i] = cmul(src[kp], ramp(batch.first + b, kp & (m2 - 1u)));
}

@compute @workgroup_size(256)
fn gather(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let kp = (wid.x + wid.y * nwg.x) * 256u + lid;
  let m2 = batch.m * batch.m;
  let per = m2 * batch.modes;
  if (kp >= per) {
    return;
  }
  var acc = dst[kp];
  for (var b = 0u; b < batch.count; b++) {
    let r = ramp(batch.first + b, kp & (m2 - 1u));
    acc += cmul(vec2f(r.x, -r.y), src[b * per + kp]);
  }
  dst[kp] = acc;
}
