// Object windows: M x M patches of one object slice (H x W, offset `slice` elements into the
// object buffer) at integer window origins (top, left), for positions first .. first + count.
//
// Entry points and bindings (group 0, in binding order):
//   extract:  0 params Window  1 origins: array<vec2i>  2 object: array<vec2f>
//             3 out: array<vec2f> (read_write)          out[b, p] <- O[window b, p]
//   window_power: 0 params Window  1 origins  2 object  3 out: array<vec2f> (read_write, M x M)
//             out[p] <- ((flag = 1 ? out[p].x : 0) + sum_b |O[window b, p]|^2, 0), b in
//             increasing order (one invocation per window pixel)
//   multiply: 0 params Window  1 origins  2 object  3 work: array<vec2f> (read_write,
//             count x K x M x M)  4 waves: array<vec2f> (read_write)
//             waves[wave + (b, k, p)] <- work (when flag = 1); work[b, k, p] <- O[window b, p] work
//             (flag = 2: work[b, k, p] <- O[window b, p] waves[wave + (b, k, p)], the wave already
//             stored)
//   backward: 0 params Window  1 origins  2 object  3 chi: array<vec2f> (read_write)
//             4 waves: array<vec2f>  5 patch: array<vec2f> (read_write, count x M x M)
//             patch[b, p] <- sum_k conj(waves[wave + (b, k, p)]) chi[b, k, p] (when flag bit 0);
//             chi[b, k, p] <- conj(O[window b, p]) chi[b, k, p] (when flag bit 1)
//   overlap:  0 params Window  1 origins  2 start: array<u32>  3 windows: array<u32>
//             4 patch: array<vec2f>  5 grad: array<vec2f> (read_write)
//             one workgroup of 16 per block of the batch's region (BlockLists index), each
//             invocation summing one column of it:
//             grad[pixel] += sum over the block's windows, ascending, of patch[b, pixel - origin b]
//             for the windows covering the pixel (patch[0, ...] when flag = 1: one shared patch)
//   overlap_shared_when: 0 params Window  1 origins  2 start  3 windows  4 patch  5 grad
//             6 when: array<u32> (when[0] = 1: run)   overlap with flag = 1, or nothing
//   overlap_product: 0 params Window  1 origins  2 start  3 windows  4 chi: array<vec2f>
//             (count x K x M x M)  5 grad (read_write)  6 waves: array<vec2f>
//             like overlap with patch[b, p] = sum_k conj(waves[wave + (b, k, p)]) chi[b, k, p]
//             computed on the fly (the backward pass's patch, never stored)
// No override constants. Workgroup size 256 (16 for the overlaps),
// linear workgroup index wid.x + wid.y * nwg.x.

struct Window {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
  width: u32,
  height: u32,
  slice: u32,
  wave: u32,
  flag: u32,
  region_y0: u32,
  region_x0: u32,
  region_height: u32,
  region_width: u32,
  log2_m: u32,
}

@group(0) @binding(0) var<uniform> win: Window;
@group(0) @binding(1) var<storage, read> origins: array<vec2i>;
@group(0) @binding(2) var<storage, read> object: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> waves: array<vec2f>;
@group(0) @binding(4) var<storage, read> waves_in: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> patches: array<vec2f>;
@group(0) @binding(2) var<storage, read> start: array<u32>;
@group(0) @binding(3) var<storage, read> windows: array<u32>;
@group(0) @binding(4) var<storage, read> patches_in: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> grad: array<vec2f>;
@group(0) @binding(6) var<storage, read> product_waves: array<vec2f>;
@group(0) @binding(6) var<storage, read> when: array<u32>;

fn linear(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + lid;
}

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

fn conj(a: vec2f) -> vec2f {
  return vec2f(a.x, -a.y);
}

// Position of element i of a count x K x M x M batch: shifts (M is a power of two) and a
// division by K only when there are several modes (integer division is slow on SIMD CPUs).
fn position(i: u32) -> u32 {
  let frame = i >> (2u * win.log2_m);
  if (win.modes == 1u) {
    return frame;
  }
  return frame / win.modes;
}

// Object pixel under window pixel p of position b (windows lie inside the object).
fn object_at(b: u32, p: u32) -> vec2f {
  let o = origins[win.first + b];
  let y = u32(o.x) + (p >> win.log2_m);
  let x = u32(o.y) + (p & (win.m - 1u));
  return object[win.slice + y * win.width + x];
}

@compute @workgroup_size(256)
fn extract(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_index) lid: u32) {
  let i = linear(wid, nwg, lid);
  let m2 = win.m * win.m;
  if (i < win.count * m2) {
    out[i] = object_at(i >> (2u * win.log2_m), i & (m2 - 1u));
  }
}

@compute @workgroup_size(256)
fn window_power(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                @builtin(local_invocation_index) lid: u32) {
  let p = linear(wid, nwg, lid);
  if (p >= win.m * win.m) {
    return;
  }
  var acc = 0.0;
  if (win.flag == 1u) {
    acc = out[p].x;
  }
  for (var b = 0u; b < win.count; b++) {
    let v = object_at(b, p);
    acc += v.x * v.x + v.y * v.y;
  }
  out[p] = vec2f(acc, 0.0);
}

@compute @workgroup_size(256)
fn multiply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = linear(wid, nwg, lid);
  let m2 = win.m * win.m;
  let per = m2 * win.modes;
  if (i >= win.count * per) {
    return;
  }
  var v: vec2f;
  if (win.flag == 2u) {
    v = waves[win.wave + i];
  } else {
    v = out[i];
  }
  if (win.flag == 1u) {
    waves[win.wave + i] = v;
  }
  out[i] = cmul(object_at(position(i), i & (m2 - 1u)), v);
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let i = linear(wid, nwg, lid);
  let m2 = win.m * win.m;
  if (i >= win.count * m2) {
    return;
  }
  let b = i >> (2u * win.log2_m);
  let p = i & (m2 - 1u);
  let o = conj(object_at(b, p));
  var acc = vec2f(0.0);
  for (var k = 0u; k < win.modes; k++) {
    let j = (b * win.modes + k) * m2 + p;
    let chi = out[j];
    // The stored waves are read only for the patch (the chi-only call is the common one).
    if ((win.flag & 1u) != 0u) {
      acc += cmul(conj(waves_in[win.wave + j]), chi);
    }
    if ((win.flag & 2u) != 0u) {
      out[j] = cmul(o, chi);
    }
  }
  if ((win.flag & 1u) != 0u) {
    patches[i] = acc;
  }
}

@compute @workgroup_size(16, 1)
fn overlap(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
           @builtin(local_invocation_id) lid: vec3u) {
  overlap_block(wid.x + wid.y * nwg.x, lid.x, select(win.m * win.m, 0u, win.flag == 1u));
}

// The shared-patch overlap-add when a device-side flag asks for it (the preconditioner's
// illumination, redone only when the probe changed).
@compute @workgroup_size(16, 1)
fn overlap_shared_when(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                       @builtin(local_invocation_id) lid: vec3u) {
  if (when[0] == 1u) {
    overlap_block(wid.x + wid.y * nwg.x, lid.x, 0u);
  }
}

// grad[pixel] += sum of patch[b stride + pixel - origin b] over the block's windows covering it,
// for the 16 pixels of column `column` of the block (as overlap_product: the window list and
// origins read once for the sixteen).
fn overlap_block(block: u32, column: u32, stride: u32) {
  let blocks_x = (win.region_width + 15u) / 16u;
  let ry0 = (block / blocks_x) * 16u;
  let rx = (block % blocks_x) * 16u + column;
  if (rx >= win.region_width || ry0 >= win.region_height) {
    return;
  }
  let begin = start[block];
  let end = start[block + 1u];
  if (begin == end) {
    return;
  }
  let y0 = i32(win.region_y0 + ry0);
  let x = i32(win.region_x0 + rx);
  let m = i32(win.m);
  var acc = array<vec2f, 16>();
  for (var e = begin; e < end; e++) {
    let b = windows[e];
    let o = origins[win.first + b];
    let dx = x - o.y;
    if (dx < 0 || dx >= m) {
      continue;
    }
    for (var r = 0; r < 16; r++) {
      let dy = y0 + r - o.x;
      if (dy >= 0 && dy < m) {
        acc[r] += patches_in[b * stride + u32(dy * m + dx)];
      }
    }
  }
  for (var r = 0u; r < 16u; r++) {
    if (ry0 + r < win.region_height) {
      let g = win.slice + u32(y0 + i32(r)) * win.width + u32(x);
      grad[g] = grad[g] + acc[r];
    }
  }
}

// Each invocation sums the 16 pixels of one column of its block: the window list and origins are
// read once for the sixteen (measured 1.5-2x faster than one pixel per invocation on llvmpipe).
@compute @workgroup_size(16, 1)
fn overlap_product(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
                   @builtin(local_invocation_id) lid: vec3u) {
  let block = wid.x + wid.y * nwg.x;
  let blocks_x = (win.region_width + 15u) / 16u;
  let ry0 = (block / blocks_x) * 16u;
  let rx = (block % blocks_x) * 16u + lid.x;
  if (rx >= win.region_width || ry0 >= win.region_height) {
    return;
  }
  let begin = start[block];
  let end = start[block + 1u];
  if (begin == end) {
    return;
  }
  let y0 = i32(win.region_y0 + ry0);
  let x = i32(win.region_x0 + rx);
  let m = i32(win.m);
  let m2 = win.m * win.m;
  var acc = array<vec2f, 16>();
  for (var e = begin; e < end; e++) {
    let b = windows[e];
    let o = origins[win.first + b];
    let dx = x - o.y;
    if (dx < 0 || dx >= m) {
      continue;
    }
    for (var r = 0; r < 16; r++) {
      let dy = y0 + r - o.x;
      if (dy >= 0 && dy < m) {
        // The same sum over modes, in the same order, as the backward pass's patch.
        var product = vec2f(0.0);
        for (var k = 0u; k < win.modes; k++) {
          let j = (b * win.modes + k) * m2 + u32(dy * m + dx);
          product += cmul(conj(product_waves[win.wave + j]), patches_in[j]);
        }
        acc[r] += product;
      }
    }
  }
  for (var r = 0u; r < 16u; r++) {
    if (ry0 + r < win.region_height) {
      let g = win.slice + u32(y0 + i32(r)) * win.width + u32(x);
      grad[g] = grad[g] + acc[r];
    }
  }
}
