// The cost's gradient with respect to each scan position's shift (position correction). The
// first slice's input is the shifted probe psi_0 = F^-1 [ramp_j P^], so with the unitary FFT
// and chi = dF/dconj(psi_0), dF/dx_j = 2 Re sum_{k,p} conj(chi^[k,p]) (-2 pi i u_x) ramp_j(p)
// P^_k(p) = 2 sum 2 pi u_x Im(conj(chi^) ramp_j P^_k), and the same with u_y (u in cycles per
// pixel, numpy fftfreq order, Nyquist negative, as `frequency` in src/physics/fourier.ts). The
// ramps are those of `wgsl/probe.wgsl` (per position M row factors, then M column factors).
// The curvature beside it comes from `wgsl/shift_curvature.wgsl`.
//
// Entry point and bindings (group 0, in binding order):
//   position_gradient: 0 params Batch  1 ramps: array<vec2f> (2 M per position)
//           2 spec: array<vec2f> (K x M x M, the probe spectrum)  3 chi: array<vec2f>
//           (count x K x M x M, chi^ of the batch)  4 lanes: array<vec2f> (read_write,
//           256 per position of the batch)
//           lanes[256 b + u] <- lane u's share of (dF/dx, dF/dy) of position b of the batch: the
//           pixels kp = u, u + 256, ... in order; `sum_runs` of `wgsl/reduce.wgsl` then adds each
//           position's 256 lanes in order (no workgroup barrier, see there)
// One workgroup per position of the batch (linear index wid.x + wid.y * nwg.x). No override
// constants. Workgroup size 256.

struct Batch {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
  log2_m: u32,
}

@group(0) @binding(0) var<uniform> batch: Batch;
@group(0) @binding(1) var<storage, read> ramps: array<vec2f>;
@group(0) @binding(2) var<storage, read> spec: array<vec2f>;
@group(0) @binding(3) var<storage, read> chi: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> lanes: array<vec2f>;

const TWO_PI: f32 = 6.283185307179586;

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

/** Frequency of index i of an M-point FFT in cycles per pixel (Nyquist negative). */
fn frequency(i: u32) -> f32 {
  let n = f32(batch.m);
  if (i < batch.m / 2u) {
    return f32(i) / n;
  }
  return (f32(i) - n) / n;
}

@compute @workgroup_size(256)
fn position_gradient(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                     @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.y * nwg.x;
  let m2 = batch.m * batch.m;
  let per = m2 * batch.modes;
  var acc = vec2f(0.0, 0.0);
  if (b < batch.count) {
    let base = (batch.first + b) * 2u * batch.m;
    for (var kp = lid; kp < per; kp += 256u) {
      let p = kp & (m2 - 1u);
      let row = p >> batch.log2_m;
      let col = p & (batch.m - 1u);
      let ramp = cmul(ramps[base + row], ramps[base + batch.m + col]);
      let c = chi[b * per + kp];
      let u = cmul(vec2f(c.x, -c.y), cmul(ramp, spec[kp]));
      acc += u.y * vec2f(frequency(col), frequency(row));
    }
  }
  if (b < batch.count) {
    lanes[b * 256u + lid] = 2.0 * TWO_PI * acc;
  }
}
