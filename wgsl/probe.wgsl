// Sub-pixel probe placement: the probe spectrum times the Fourier shift ramp of each position,
// exp(-2 pi i (ky fy + kx fx)) with k in cycles per pixel in numpy fftfreq order (Nyquist
// negative), i.e. P(r - f) after the inverse FFT; and its adjoint summed over positions.
//
// Entry points and bindings (group 0, in binding order):
//   place:  0 params Batch  1 shifts: array<vec2f> (fy, fx per position)  2 spec: array<vec2f>
//           (K x M x M)  3 out: array<vec2f> (read_write, count x K x M x M)
//           out[b, k, p] <- spec[k, p] ramp(first + b, p)
//   gather: 0 params Batch  1 shifts  2 y: array<vec2f> (count x K x M x M)
//           3 acc: array<vec2f> (read_write, K x M x M)
//           acc[k, p] <- acc[k, p] + sum_{b in order} conj(ramp(first + b, p)) y[b, k, p]
// No override constants. Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Batch {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
}

@group(0) @binding(0) var<uniform> batch: Batch;
@group(0) @binding(1) var<storage, read> shifts: array<vec2f>;
@group(0) @binding(2) var<storage, read> src: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec2f>;

const TWO_PI: f32 = 6.283185307179586;

fn frequency(i: u32) -> f32 {
  let n = i32(batch.m);
  let j = i32(i);
  return f32(select(j - n, j, j < n / 2)) / f32(n);
}

fn ramp(position: u32, p: u32) -> vec2f {
  let f = shifts[position];
  let phase = -TWO_PI * (f.x * frequency(p / batch.m) + f.y * frequency(p % batch.m));
  return vec2f(cos(phase), sin(phase));
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
  let b = i / per;
  let kp = i - b * per;
  dst[i] = cmul(src[kp], ramp(batch.first + b, kp % m2));
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
    let r = ramp(batch.first + b, kp % m2);
    acc += cmul(vec2f(r.x, -r.y), src[b * per + kp]);
  }
  dst[kp] = acc;
}
