// Deterministic reductions in two passes, neither with a workgroup barrier (llvmpipe runs a
// workgroup's invocations as coroutines and switches all of them at every barrier, and a real GPU
// loses little: every load of the first pass is coalesced over a workgroup's 256 lanes):
//   slots: chunk w of CHUNK = 2048 elements, lane u of 256 sums elements w 2048 + k 256 + u,
//          k = 0..7, in order, into slot w 256 + u;
//   fold:  `sum_runs` with run 256 adds a chunk's 256 slots in order into the chunk's partial.
// A lane finds its first element's place in the region by two integer divisions and steps to the
// next by additions: a division per element (slow on SIMD CPUs) cost llvmpipe as much as the sum.
// The host adds the partials in index order in float64. No atomics, so the bits never depend on
// scheduling. A maximum folds the same way (`max_runs`, then `max_finish` over the chunks).
//
// Entry points and bindings (group 0, in binding order):
//   dot_slots:   0 params Region  1 a: array<vec2f>  2 b: array<vec2f>
//                3 slots: array<vec2f> (read_write)
//                slots[256 (first + w) + u] <- lane u's sum of conj(a) b over chunk w of a strided
//                region (slices x height x width, addressed base + s slice_stride + y row_stride + x)
//   sum_slots:   0 params Region  1 x: array<f32>  2 slots: array<vec2f> (read_write)
//                slots[256 (first + w) + u].x <- lane u's sum of x over chunk w of the same kind of
//                region (.y <- 0)
//   max_slots:   0 params Region  1 a: array<vec2f>  2 slots: array<vec2f> (read_write)
//                slots[256 (first + w) + u].x <- lane u's max of the real parts over chunk w (-inf
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
// No override constants. Workgroup size 256 (dot_slots, sum_slots, max_slots: one workgroup per
// chunk), 1 (max_finish), 256 (the others); linear workgroup index wid.x + wid.y * nwg.x.

const CHUNK: u32 = 2048u;
const LANES: u32 = 256u;

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

// Where element e of the region sits: slice, row, column.
struct Cursor {
  s: u32,
  y: u32,
  x: u32,
}

fn cursor(e: u32) -> Cursor {
  let s = e / region.plane;
  let r = e - s * region.plane;
  let y = r / region.width;
  return Cursor(s, y, r - y * region.width);
}

fn offset(c: Cursor) -> u32 {
  return c.s * region.slice_stride + c.y * region.row_stride + c.x;
}

// The cursor of element e + LANES.
fn advance(c: Cursor) -> Cursor {
  var n = c;
  n.x += LANES;
  while (n.x >= region.width) {
    n.x -= region.width;
    n.y += 1u;
    if (n.y * region.width == region.plane) {
      n.y = 0u;
      n.s += 1u;
    }
  }
  return n;
}

fn cdot(u: vec2f, v: vec2f) -> vec2f {
  return vec2f(u.x * v.x + u.y * v.y, u.x * v.y - u.y * v.x);
}

@compute @workgroup_size(256)
fn dot_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let e0 = w * CHUNK + lid;
  var c = cursor(e0);
  var acc = vec2f(0.0);
  for (var k = 0u; k < CHUNK / LANES; k++) {
    if (e0 + k * LANES < region.count) {
      let o = offset(c);
      acc += cdot(a[region.base_a + o], b[region.base_b + o]);
    }
    c = advance(c);
  }
  slots[(region.first + w) * LANES + lid] = acc;
}

@compute @workgroup_size(256)
fn sum_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let e0 = w * CHUNK + lid;
  var c = cursor(e0);
  var acc = 0.0;
  for (var k = 0u; k < CHUNK / LANES; k++) {
    if (e0 + k * LANES < region.count) {
      acc += x[region.base_a + offset(c)];
    }
    c = advance(c);
  }
  dst[(region.first + w) * LANES + lid] = vec2f(acc, 0.0);
}

@compute @workgroup_size(256)
fn max_slots(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
             @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let e0 = w * CHUNK + lid;
  var c = cursor(e0);
  var acc = -3.4028235e38;
  for (var k = 0u; k < CHUNK / LANES; k++) {
    if (e0 + k * LANES < region.count) {
      acc = max(acc, a[region.base_a + offset(c)].x);
    }
    c = advance(c);
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
