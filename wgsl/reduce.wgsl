// Deterministic reductions: every workgroup sums a fixed chunk of elements in a fixed order
// (8 strided elements per invocation, then a tree over the workgroup) and writes one partial;
// the host adds the partials in index order in float64. No atomics, so the bits never depend on
// scheduling.
//
// Entry points and bindings (group 0, in binding order):
//   dot_partials: 0 params Region  1 a: array<vec2f>  2 b: array<vec2f>
//                 3 partials: array<vec2f> (read_write)
//                 partials[first + w] <- sum conj(a) b over chunk w of a strided region
//                 (slices x height x width, addressed base + s slice_stride + y row_stride + x)
//   sum_partials: 0 params Region  1 x: array<f32>  2 partials: array<vec2f> (read_write)
//                 partials[first + w].x <- sum x over chunk w of the same kind of region
//   max_partials: 0 params Region  1 a: array<vec2f>  2 partials: array<vec2f> (read_write)
//                 partials[first + w].x <- max of the real parts over chunk w (-inf if empty)
//   max_finish:   0 params {count, -, -, scale (f32 bits)}  1 partials: array<vec2f> (max_partials
//                 output)  2 out: array<vec2f> (read_write)
//                 out[0].x <- scale max_u partials[u].x, on the device (one workgroup)
//   sum_runs:     0 params {count, run, first}  1 run_pairs: array<vec2f>  2 partials: array<vec2f> (rw)
//                 partials[first + u] <- sum_{i < run, u run + i < count} run_pairs[u run + i],
//                 both components, in order, one invocation per run and no workgroup barrier
//   sum_batches:  0 params {length, batch, accumulate}  1 src: array<vec2f>
//                 2 dst: array<vec2f> (read_write)
//                 dst[i] <- (accumulate ? dst[i] : 0) + sum_{b in order} src[b length + i]
// No override constants. Workgroup size 256; chunk CHUNK = 2048 elements per workgroup.

const CHUNK: u32 = 2048u;

struct Region {
  count: u32,
  base_a: u32,
  base_b: u32,
  plane: u32,
  width: u32,
  row_stride: u32,
  slice_stride: u32,
  first: u32,
}

struct Runs {
  count: u32,
  run: u32,
  first: u32,
  scale: u32,
}

struct Batches {
  length: u32,
  batch: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> region: Region;
@group(0) @binding(0) var<uniform> batches: Batches;
@group(0) @binding(0) var<uniform> runs: Runs;
@group(0) @binding(1) var<storage, read> a: array<vec2f>;
@group(0) @binding(2) var<storage, read> b: array<vec2f>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> run_pairs: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> partials: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2f>;

var<workgroup> tree: array<vec2f, 256>;

fn offset(e: u32) -> u32 {
  let s = e / region.plane;
  let r = e - s * region.plane;
  let y = r / region.width;
  return s * region.slice_stride + y * region.row_stride + (r - y * region.width);
}

fn cdot(u: vec2f, v: vec2f) -> vec2f {
  return vec2f(u.x * v.x + u.y * v.y, u.x * v.y - u.y * v.x);
}

// Sums `value` over the workgroup in a fixed tree; the total is in tree[0] for invocation 0.
fn tree_sum(lid: u32, value: vec2f) {
  tree[lid] = value;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half >> 1u) {
    if (lid < half) {
      tree[lid] = tree[lid] + tree[lid + half];
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn dot_partials(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = vec2f(0.0);
  for (var i = 0u; i < CHUNK / 256u; i++) {
    let e = w * CHUNK + i * 256u + lid;
    if (e < region.count) {
      let o = offset(e);
      acc += cdot(a[region.base_a + o], b[region.base_b + o]);
    }
  }
  tree_sum(lid, acc);
  if (lid == 0u) {
    partials[region.first + w] = tree[0];
  }
}

@compute @workgroup_size(256)
fn sum_partials(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = 0.0;
  for (var i = 0u; i < CHUNK / 256u; i++) {
    let e = w * CHUNK + i * 256u + lid;
    if (e < region.count) {
      acc += x[region.base_a + offset(e)];
    }
  }
  tree_sum(lid, vec2f(acc, 0.0));
  if (lid == 0u) {
    dst[region.first + w] = tree[0];
  }
}

var<workgroup> peak: array<f32, 256>;

@compute @workgroup_size(256)
fn max_partials(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = -3.4028235e38;
  for (var i = 0u; i < CHUNK / 256u; i++) {
    let e = w * CHUNK + i * 256u + lid;
    if (e < region.count) {
      acc = max(acc, a[region.base_a + offset(e)].x);
    }
  }
  peak[lid] = acc;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half >> 1u) {
    if (lid < half) {
      peak[lid] = max(peak[lid], peak[lid + half]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    dst[region.first + w] = vec2f(peak[0], 0.0);
  }
}

@compute @workgroup_size(256)
fn max_finish(@builtin(local_invocation_index) lid: u32) {
  var acc = -3.4028235e38;
  for (var u = lid; u < runs.count; u += 256u) {
    acc = max(acc, a[u].x);
  }
  peak[lid] = acc;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half >> 1u) {
    if (lid < half) {
      peak[lid] = max(peak[lid], peak[lid + half]);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    dst[0] = vec2f(bitcast<f32>(runs.scale) * peak[0], 0.0);
  }
}

@compute @workgroup_size(256)
fn sum_runs(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let u = (wid.x + wid.y * nwg.x) * 256u + lid;
  let begin = u * runs.run;
  if (begin >= runs.count) {
    return;
  }
  let end = min(begin + runs.run, runs.count);
  var acc = vec2f(0.0, 0.0);
  for (var i = begin; i < end; i++) {
    acc += run_pairs[i];
  }
  dst[runs.first + u] = acc;
}

@compute @workgroup_size(256)
fn sum_batches(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
               @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= batches.length) {
    return;
  }
  var acc = vec2f(0.0);
  if (batches.accumulate == 1u) {
    acc = dst[i];
  }
  for (var k = 0u; k < batches.batch; k++) {
    acc += a[k * batches.length + i];
  }
  dst[i] = acc;
}
