// Deterministic reductions in two passes, neither with a workgroup barrier (llvmpipe runs a
// barrier-synchronised tree about ten times slower than the same loads without one, and a real GPU
// loses little: every load of the first pass is coalesced over a workgroup's 64 lanes):
//   slots: chunk w of CHUNK = 2048 elements, lane u of 64 sums elements w 2048 + k 64 + u,
//          k = 0..31, in order, into slot w 64 + u;
//   fold:  `sum_runs` with run 64 adds a chunk's 64 slots in order into the chunk's partial.
// The host adds the partials in index order in float64. No atomics, so the bits never depend on
// scheduling. A maximum folds the same way (`max_runs`, then `max_finish` over the chunks).
//
// Entry points and bindings (group 0, in binding order):
//   dot_slots:   0 params Region  1 a: array<vec2f>  2 b: array<vec2f>
//                3 slots: array<vec2f> (read_write)
//                slots[64 (first + w) + u] <- lane u's sum of conj(a) b over chunk w of a strided
//                region (slices x height x width, addressed base + s slice_stride + y row_stride + x)
//   sum_slots:   0 params Region  1 x: array<f32>  2 slots: array<vec2f> (read_write)
//                slots[64 (first + w) + u].x <- lane u's sum of x over chunk w of the same kind of
//                region (.y <- 0)
//   max_slots:   0 params Region  1 a: array<vec2f>  2 slots: array<vec2f> (read_write)
//                slots[64 (first + w) + u].x <- lane u's max of the real parts over chunk w (-inf
//                if empty)
//   max_runs:    0 params {count, run, first}  1 run_pairs: array<vec2f>  2 dst: array<vec2f> (rw)
//                dst[first + u].x <- max_{i < run, u run + i < count} run_pairs[u run + i].x
//   max_finish:  0 params {count, -, -, scale (f32 bits)}  1 run_pairs: array<vec2f> (max_runs
//                output)  2 dst: array<vec2f> (read_write)
//                dst[0] <- (scale max_{u < count} run_pairs[u].x, 0), on the device (one invocation)
//   sum_runs:    0 params {count, run, first, -, stride}  1 run_pairs: array<vec2f>
//                2 dst: array<vec2f> (read_write)
//                dst[first + u stride] <- sum_{i < run, u run + i < count} run_pairs[u run + i],
//                both components, in order, one invocation per run (also the fold of the
//                position kernels' lanes, `position_gradient.wgsl` and `shift_curvature.wgsl`)
//   sum_batches: 0 params {length, batch, accumulate}  1 src: array<vec2f>
//                2 dst: array<vec2f> (read_write)
//                dst[i] <- (accumulate ? dst[i] : 0) + sum_{b in order} src[b length + i]
// No override constants. Workgroup size 64 (dot_slots, sum_slots, max_slots: one workgroup per
// chunk), 1 (max_finish), 256 (the others); linear workgroup index wid.x + wid.y * nwg.x.

const CHUNK: u32 = 2048u;
const LANES: u32 = 64u;

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
  stride: u32,
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
@group(0) @binding(3) var<storage, read_write> slots: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2f>;

fn offset(e: u32) -> u32 {
  let s = e / region.plane;
  let r = e - s * region.plane;
  let y = r / region.width;
  return s * region.slice_stride + y * region.row_stride + (r - y * region.width);
}

fn cdot(u: vec2f, v: vec2f) -> vec2f {
  return vec2f(u.x * v.x + u.y * v.y, u.x * v.y - u.y * v.x);
}

@compute @workgroup_size(64)
fn dot_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = vec2f(0.0);
  for (var k = 0u; k < CHUNK / LANES; k++) {
    let e = w * CHUNK + k * LANES + lid;
    if (e < region.count) {
      let o = offset(e);
      acc += cdot(a[region.base_a + o], b[region.base_b + o]);
    }
  }
  slots[(region.first + w) * LANES + lid] = acc;
}

@compute @workgroup_size(64)
fn sum_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = 0.0;
  for (var k = 0u; k < CHUNK / LANES; k++) {
    let e = w * CHUNK + k * LANES + lid;
    if (e < region.count) {
      acc += x[region.base_a + offset(e)];
    }
  }
  dst[(region.first + w) * LANES + lid] = vec2f(acc, 0.0);
}

@compute @workgroup_size(64)
fn max_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var acc = -3.4028235e38;
  for (var k = 0u; k < CHUNK / LANES; k++) {
    let e = w * CHUNK + k * LANES + lid;
    if (e < region.count) {
      acc = max(acc, a[region.base_a + offset(e)].x);
    }
  }
  dst[(region.first + w) * LANES + lid] = vec2f(acc, 0.0);
}

@compute @workgroup_size(256)
fn max_runs(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let u = (wid.x + wid.y * nwg.x) * 256u + lid;
  let begin = u * runs.run;
  if (begin >= runs.count) {
    return;
  }
  let end = min(begin + runs.run, runs.count);
  var acc = -3.4028235e38;
  for (var i = begin; i < end; i++) {
    acc = max(acc, run_pairs[i].x);
  }
  dst[runs.first + u] = vec2f(acc, 0.0);
}

@compute @workgroup_size(1)
fn max_finish() {
  var acc = -3.4028235e38;
  for (var u = 0u; u < runs.count; u++) {
    acc = max(acc, run_pairs[u].x);
  }
  dst[0] = vec2f(bitcast<f32>(runs.scale) * acc, 0.0);
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
  dst[runs.first + u * runs.stride] = acc;
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
