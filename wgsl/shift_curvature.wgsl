// The curvature position correction divides each position's shift gradient by: the Gauss-Newton
// curvature of the cost along the shift, sum_k sum_r |psi_0,k(r)|^2 |d O / dx (r)|^2 over the
// position's window (and with d/dy), the object's derivative by central differences on its grid
// (one-sided at the object's edges), slice 0. Far-field data see only the object moving under the
// probe (a common shift of the exit wave leaves the intensities unchanged), so the object's
// derivative, not the probe's, measures how fast the data change (as tike and pty-chi weigh it).
//
// Entry point and bindings (group 0, in binding order):
//   shift_curvature: 0 params Sizes  1 origins: array<vec2i> ((top, left) per position)
//           2 waves: array<vec2f> (count x K x M x M, the batch's shifted probes psi_0)
//           3 object: array<vec2f> (H x W, slice 0)  4 lanes: array<vec2f> (read_write, 256 per
//           position of the batch) lanes[256 b + u] <- lane u's share of (curvature x,
//           curvature y) of position b: the pixels u, u + 256, ... in order; `sum_runs` of
//           `wgsl/reduce.wgsl` then adds each position's 256 lanes in order
// One workgroup per position of the batch (linear index wid.x + wid.y * nwg.x), no workgroup
// barrier. No override constants. Workgroup size 256.

struct Sizes {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
  log2_m: u32,
  height: u32,
  width: u32,
}

@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read> origins: array<vec2i>;
@group(0) @binding(2) var<storage, read> waves: array<vec2f>;
@group(0) @binding(3) var<storage, read> object: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> lanes: array<vec2f>;

/** Object value at (y, x), both clamped to the object. */
fn at(y: i32, x: i32) -> vec2f {
  let yy = u32(clamp(y, 0, i32(sizes.height) - 1));
  let xx = u32(clamp(x, 0, i32(sizes.width) - 1));
  return object[yy * sizes.width + xx];
}

/** Central difference (f(+1) - f(-1)) / 2, or the one-sided one at the edge. */
fn derivative(lo: vec2f, hi: vec2f, span: f32) -> vec2f {
  return (hi - lo) / span;
}

@compute @workgroup_size(256)
fn shift_curvature(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.y * nwg.x;
  let m2 = sizes.m * sizes.m;
  var acc = vec2f(0.0, 0.0);
  if (b < sizes.count) {
    let origin = origins[sizes.first + b];
    let h = i32(sizes.height);
    let w = i32(sizes.width);
    for (var p = lid; p < m2; p += 256u) {
      let y = origin.x + i32(p >> sizes.log2_m);
      let x = origin.y + i32(p & (sizes.m - 1u));
      var intensity = 0.0;
      for (var k = 0u; k < sizes.modes; k++) {
        let v = waves[(b * sizes.modes + k) * m2 + p];
        intensity += dot(v, v);
      }
      let x0 = max(x - 1, 0);
      let x1 = min(x + 1, w - 1);
      let y0 = max(y - 1, 0);
      let y1 = min(y + 1, h - 1);
      let dx = derivative(at(y, x0), at(y, x1), f32(x1 - x0));
      let dy = derivative(at(y0, x), at(y1, x), f32(y1 - y0));
      acc += intensity * vec2f(dot(dx, dx), dot(dy, dy));
    }
  }
  if (b < sizes.count) {
    lanes[b * 256u + lid] = acc;
  }
}
