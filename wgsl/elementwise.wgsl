// Elementwise kernels on float32 and interleaved complex buffers.
//
// Entry points and bindings (group 0, in binding order):
//   axpby:         0 params {n, a, b}   1 x: array<f32> (read)    2 y: array<f32> (read_write)
//                  y[i] <- a x[i] + b y[i] for i < n (complex buffers pass n = 2 x length)
//   scale:         0 params {n, a}      1 y: array<f32> (read_write)            y[i] <- a y[i]
//   mul:           0 params {n, -, conj_a} 1 a: array<vec2f> 2 b: array<vec2f> 3 out: array<vec2f>
//                  out[i] <- a[i] b[i], or conj(a[i]) b[i] when conj_a = 1
//   abs2:          0 params {n}         1 a: array<vec2f> 2 out: array<f32>  out[i] <- |a[i]|^2
//   mul_broadcast: 0 params {n, length, conj_k} 1 k: array<vec2f> 2 y: array<vec2f> (read_write)
//                  y[i] <- k[i mod length] y[i] (conj(k) when conj_k = 1): one kernel applied
//                  to every frame of a batch
//   divide_broadcast: 0 params {n, length} 1 d: array<vec2f> 2 y: array<vec2f> (rw)
//                  3 c: array<vec2f> (read; c[0].x is the floor)
//                  y[i] <- y[i] / (Re d[i mod length] + Re c[0]): a diagonal preconditioner
//                  applied to every slice or mode, its floor computed on the device
// No override constants. Workgroup size 256; the linear workgroup index is
// wid.x + wid.y * nwg.x (dispatches over 65535 workgroups are folded by Gpu.dispatch).

struct Scalars {
  n: u32,
  a: f32,
  b: f32,
}

struct Counts {
  n: u32,
  length: u32,
  flag: u32,
}

@group(0) @binding(0) var<uniform> scalars: Scalars;
@group(0) @binding(0) var<uniform> counts: Counts;

@group(0) @binding(1) var<storage, read> axpby_x: array<f32>;
@group(0) @binding(2) var<storage, read_write> axpby_y: array<f32>;
@group(0) @binding(1) var<storage, read_write> scale_y: array<f32>;

@group(0) @binding(1) var<storage, read> mul_a: array<vec2f>;
@group(0) @binding(2) var<storage, read> mul_b: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> mul_out: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> abs2_out: array<f32>;

@group(0) @binding(1) var<storage, read> bc_k: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> bc_y: array<vec2f>;
@group(0) @binding(3) var<storage, read> floor_: array<vec2f>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: vec2f) -> vec2f {
  return vec2f(a.x, -a.y);
}

@compute @workgroup_size(256)
fn axpby(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < scalars.n) {
    axpby_y[i] = scalars.a * axpby_x[i] + scalars.b * axpby_y[i];
  }
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < scalars.n) {
    scale_y[i] = scalars.a * scale_y[i];
  }
}

@compute @workgroup_size(256)
fn mul(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
       @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < counts.n) {
    var a = mul_a[i];
    if (counts.flag == 1u) {
      a = conj(a);
    }
    mul_out[i] = cmul(a, mul_b[i]);
  }
}

@compute @workgroup_size(256)
fn abs2(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < counts.n) {
    abs2_out[i] = dot(mul_a[i], mul_a[i]);
  }
}

@compute @workgroup_size(256)
fn mul_broadcast(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                 @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < counts.n) {
    var k = bc_k[i % counts.length];
    if (counts.flag == 1u) {
      k = conj(k);
    }
    bc_y[i] = cmul(k, bc_y[i]);
  }
}

@compute @workgroup_size(256)
fn divide_broadcast(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                    @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  if (i < counts.n) {
    // No remainder when y and d have one length (the object's case): integer division is slow on
    // SIMD CPUs, and a workgroup whose lanes all skip a branch skips its work.
    var k = i;
    if (k >= counts.length) {
      k = i % counts.length;
    }
    bc_y[i] = bc_y[i] / (bc_k[k].x + floor_[0].x);
  }
}
