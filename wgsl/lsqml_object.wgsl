// LSQ-ML's object direction and update over one batch's windows only (one tile alone): the
// direction dO is object-sized, yet a batch's windows reach only some 16 x 16 blocks of it (the
// batch's BlockLists index), so these kernels run there and nowhere else, instead of
// whole-object passes:
//   direction: dO[p] <- N[p] / (D[p] + floor), with N[p] = sum_j sum_k conj(w_jk) chi_jk and
//              D[p] = sum_j I, over the batch's windows j covering p (ascending, as the block
//              list holds them), at the window's pixel q = p - origin j: w the stored shifted
//              probes, chi the exit-wave gradient, I the shared window weight (M x M, its real
//              part). In one pass: window.wgsl's overlap_product (N) and shared overlap (D) into
//              zeroed buffers, then elementwise.wgsl's divide_broadcast, with their float32
//              operations in their order, so the bits are theirs; N and D are never stored;
//   apply:     O[p] <- O[p] - step dO[p] when the device's step is not 0 (lsqml_steps.wgsl's
//              apply, restricted).
// Outside the reached blocks dO keeps whatever it held: no kernel reads it there.
//
// Bindings (group 0, in binding order):
//   0 params Blocks  1 start: array<u32> (the BlockLists' starts, blocks + 1)
//   2 direction: array<vec2f> (read_write, H x W; read by apply)  3 windows: array<u32> (the
//   BlockLists' windows)  4 floor_: array<vec2f> (floor_[0].x is the floor)
//   5 steps: array<f32> (apply: steps[0] is the object's step)  6 object: array<vec2f>
//   (read_write, H x W; apply)  7 origins: array<vec2i> (window origins, top and left, of the
//   scan)  8 chi: array<vec2f> (count x K x M x M)  9 waves: array<vec2f> (count x K x M x M)
//   10 weight: array<vec2f> (M x M)
// direction binds 0-4 and 7-10, apply 0-2, 5 and 6.
// Override constant: MODES (the direction's; below). Workgroup size 16: workgroup (x, y) is the
// region's block in column x and row y (a grid: no invocation divides, which llvmpipe runs lane by
// lane), returning at once
// when no window reaches it; invocation l walks column l of the block down its 16 rows (as
// window.wgsl's overlaps do). At frame 128 with batches of 8 the restricted divide took 4.6 ms
// where the whole object's divide_broadcast took 17.5 ms; one invocation per pixel of a 256-wide
// workgroup took 10 ms, as it paid for every pixel of the blocks no window reaches.

// Probe modes K (direction only): a constant, so that with one mode the sum over modes is no loop.
// On the software adapter every storage access inside a loop runs under a per-lane mask: with the
// loop over one mode the direction took 1.25 times as long.
override MODES: u32;

struct Blocks {
  width: u32,
  region_y0: u32,
  region_x0: u32,
  region_height: u32,
  region_width: u32,
  m: u32,
  first: u32,
}

@group(0) @binding(0) var<uniform> params: Blocks;
@group(0) @binding(1) var<storage, read> start: array<u32>;
@group(0) @binding(2) var<storage, read_write> direction_: array<vec2f>;
@group(0) @binding(3) var<storage, read> windows: array<u32>;
@group(0) @binding(4) var<storage, read> floor_: array<vec2f>;
@group(0) @binding(5) var<storage, read> steps: array<f32>;
@group(0) @binding(6) var<storage, read_write> object: array<vec2f>;
@group(0) @binding(7) var<storage, read> origins: array<vec2i>;
@group(0) @binding(8) var<storage, read> chi: array<vec2f>;
@group(0) @binding(9) var<storage, read> waves: array<vec2f>;
@group(0) @binding(10) var<storage, read> weight: array<vec2f>;

const BLOCK: u32 = 16u;

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: vec2f) -> vec2f {
  return vec2f(a.x, -a.y);
}

fn block_of(wid: vec3u) -> u32 {
  return wid.y * ((params.region_width + BLOCK - 1u) / BLOCK) + wid.x;
}

// The column invocation `lid` walks in block (wid.x, wid.y) of the region, down its rows: its first
// object index and its row count, 0 where no window reaches the block or the column is outside
// the region.
struct Column {
  index: u32,
  rows: u32,
}

fn column(wid: vec3u, lid: u32) -> Column {
  let block = block_of(wid);
  let x = wid.x * BLOCK + lid;
  if (start[block] == start[block + 1u] || x >= params.region_width) {
    return Column(0u, 0u);
  }
  let index = (params.region_y0 + wid.y * BLOCK) * params.width + params.region_x0 + x;
  return Column(index, min(BLOCK, params.region_height - wid.y * BLOCK));
}

@compute @workgroup_size(16)
fn direction(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = column(wid, lid);
  if (c.rows == 0u) {
    return;
  }
  let block = block_of(wid);
  let y0 = i32(params.region_y0 + wid.y * BLOCK);
  let x = i32(params.region_x0 + wid.x * BLOCK + lid);
  let m = i32(params.m);
  let m2 = params.m * params.m;
  var n = array<vec2f, 16>();
  var d = array<f32, 16>();
  for (var e = start[block]; e < start[block + 1u]; e++) {
    let b = windows[e];
    let o = origins[params.first + b];
    let dx = x - o.y;
    if (dx < 0 || dx >= m) {
      continue;
    }
    for (var r = 0; r < 16; r++) {
      let dy = y0 + r - o.x;
      if (dy >= 0 && dy < m) {
        let q = u32(dy * m + dx);
        var product = vec2f(0.0);
        for (var k = 0u; k < MODES; k++) {
          let j = (b * MODES + k) * m2 + q;
          product += cmul(conj(waves[j]), chi[j]);
        }
        n[r] += product;
        d[r] += weight[q].x;
      }
    }
  }
  let f = floor_[0].x;
  var i = c.index;
  for (var r = 0u; r < c.rows; r++) {
    // 0 + the sum, as the overlap-add into a zeroed buffer gave (a -0 sum becomes +0).
    direction_[i] = (vec2f(0.0) + n[r]) / ((0.0 + d[r]) + f);
    i += params.width;
  }
}

@compute @workgroup_size(16)
fn apply(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = column(wid, lid);
  let step = steps[0];
  if (step == 0.0) {
    return;
  }
  var i = c.index;
  for (var r = 0u; r < c.rows; r++) {
    object[i] = object[i] - step * direction_[i];
    i += params.width;
  }
}
