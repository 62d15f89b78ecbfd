// LSQ-ML's object direction and update over one batch's windows only (one tile alone): the
// numerator N and weight D of the object direction are object-sized, yet a batch's overlap-adds
// write them only in the 16 x 16 blocks its windows reach (the batch's BlockLists index), so
// these kernels run there and nowhere else, instead of whole-object passes:
//   divide: N[p] <- N[p] / (Re D[p] + floor), the direction dO (elementwise.wgsl's
//           divide_broadcast, restricted to the blocks);
//   apply:  O[p] <- O[p] - step N[p] when the device's step is not 0 (lsqml_steps.wgsl's apply,
//           restricted), then N[p] <- 0 and D[p] <- 0, so that both are zero everywhere when
//           the next batch's overlap-adds start (a block no window reaches is never written).
// Each pixel takes the whole-object kernels' arithmetic, so the bits are theirs.
//
// Bindings (group 0, in binding order):
//   0 params Blocks  1 start: array<u32> (the BlockLists' starts, blocks + 1)
//   2 numerator: array<vec2f> (read_write, H x W)  3 weight: array<vec2f> (read_write, H x W)
//   4 floor_: array<vec2f> (divide: floor_[0].x is the floor)
//   5 steps: array<f32> (apply: steps[0] is the object's step)  6 object: array<vec2f>
//   (read_write, H x W; apply)
// divide binds 0-4, apply 0-3, 5 and 6.
// No override constants. Workgroup size 16: workgroup (x, y) is the region's block in column x
// and row y (a grid: no invocation divides, which llvmpipe runs lane by lane), returning at once
// when no window reaches it; invocation l walks column l of the block down its 16 rows (as
// window.wgsl's overlaps do). At frame 128 with batches of 8 this divided in 4.6 ms where the
// whole object's divide_broadcast took 17.5 ms; one invocation per pixel of a 256-wide workgroup
// took 10 ms, as it paid for every pixel of the blocks no window reaches.

struct Blocks {
  width: u32,
  region_y0: u32,
  region_x0: u32,
  region_height: u32,
  region_width: u32,
}

@group(0) @binding(0) var<uniform> params: Blocks;
@group(0) @binding(1) var<storage, read> start: array<u32>;
@group(0) @binding(2) var<storage, read_write> numerator: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> weight: array<vec2f>;
@group(0) @binding(4) var<storage, read> floor_: array<vec2f>;
@group(0) @binding(5) var<storage, read> steps: array<f32>;
@group(0) @binding(6) var<storage, read_write> object: array<vec2f>;

const BLOCK: u32 = 16u;

// The column invocation `lid` walks in block (wid.x, wid.y) of the region, down its rows: its first
// object index and its row count, 0 where no window reaches the block or the column is outside
// the region.
struct Column {
  index: u32,
  rows: u32,
}

fn column(wid: vec3u, lid: u32) -> Column {
  let block = wid.y * ((params.region_width + BLOCK - 1u) / BLOCK) + wid.x;
  let x = wid.x * BLOCK + lid;
  if (start[block] == start[block + 1u] || x >= params.region_width) {
    return Column(0u, 0u);
  }
  let index = (params.region_y0 + wid.y * BLOCK) * params.width + params.region_x0 + x;
  return Column(index, min(BLOCK, params.region_height - wid.y * BLOCK));
}

@compute @workgroup_size(16)
fn divide(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = column(wid, lid);
  var i = c.index;
  for (var r = 0u; r < c.rows; r++) {
    numerator[i] = numerator[i] / (weight[i].x + floor_[0].x);
    i += params.width;
  }
}

@compute @workgroup_size(16)
fn apply(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = column(wid, lid);
  let step = steps[0];
  var i = c.index;
  for (var r = 0u; r < c.rows; r++) {
    if (step != 0.0) {
      object[i] = object[i] - step * numerator[i];
    }
    numerator[i] = vec2f(0.0, 0.0);
    weight[i] = vec2f(0.0, 0.0);
    i += params.width;
  }
}
