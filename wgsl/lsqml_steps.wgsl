// LSQ-ML's step lengths on the device, so that a batch needs no readback: the five sums of the
// 2 x 2 normal equations (see `StepSums` in src/problem/lsqml_sweep.ts) of the batch's exit-wave
// changes A (along the object direction), B (along the probe direction) and G = dF/dconj(psi),
//   aa = sum |A|^2, ab = sum Re conj(A) B, bb = sum |B|^2, ag = sum Re conj(A) G,
//   bg = sum Re conj(B) G            (ab, bb, bg are 0 when the probe is not refined),
// from the per-pixel terms of wgsl/lsqml_terms.wgsl and the probe direction dP, B taken as
// O_j dP on each window (without the probe's sub-pixel shift) and bg as Re <dP, N>, N the probe
// direction's numerator (the exact sum_j Re <O_j S_j dP, G_j>); the steps solving
// [aa (1 + ridge), ab; ab, bb (1 + ridge)] [aO; aP] = [ag; bg] within
// [0, max_step] (the rule of `lsqmlSteps` in src/solvers/lsqml.ts, its float64 reference), and
// x <- x - step d reading the step from the device.
//
// Every sum runs in a fixed order and no stage has a workgroup barrier (llvmpipe runs a
// barrier-synchronised tree about ten times slower than the same loads without one):
//   pixels:   slot u = w 64 + lid sums elements w 2048 + k 64 + lid, k = 0..31, in order;
//   fold:     invocation u sums slots u run .. u run + run - 1 in order;
//   total:    one invocation sums the folded slots in order.
//
// Entry points and bindings (group 0, in binding order):
//   pixels:   0 params {count, probe, -, -, m2}  1 terms: array<vec4f> (count: (aa, ag, v) per
//             element e = (k, p), see lsqml_terms.wgsl)  2 numerator: array<vec2f> (count, N)
//             3 weight: array<vec2f> (m2, its real part W)  6 d: array<vec2f> (count, dP)
//             4 out: array<f32> (read_write, 5 per slot); per element aa += terms.x,
//             ag += terms.y and, when probe is 1, ab += Re v dP, bb += |dP|^2 W[p],
//             bg += Re conj(dP) N (2, 3 and 6 unread when probe is 0: bind anything);
//             ceil(count / 2048) workgroups, 64 slots each
//   fold:     0 params {count (slots), run}  5 src: array<f32>  4 out: array<f32> (read_write)
//             out[5 u + s] <- sum_{i < run, u run + i < count} src[5 (u run + i) + s]
//   total:    0 params {count (slots)}  5 src: array<f32>  4 out: array<f32> (read_write)
//             out[s] <- sum_{u < count} src[5 u + s], s = 0..4 (one invocation)
//   solve:    0 params {probe, -, max_step (f32 bits), ridge (f32 bits)}  5 src: array<f32>
//             (the five sums)  4 out: array<f32> (read_write) out[0] <- aO, out[1] <- aP
//   apply:    0 params {count, which}  5 src: array<f32> (the steps)  6 d: array<vec2f>
//             7 x: array<vec2f> (read_write) x[i] <- x[i] - src[which] d[i] for i < count, x
//             untouched when the step is 0 (an empty batch's direction is 0 / 0)
// No override constants. Workgroup size 64 (pixels, fold, apply: linear workgroup index
// wid.x + wid.y * nwg.x), 1 (total, solve).

const CHUNK: u32 = 2048u;
const LANES: u32 = 64u;

struct Params {
  count: u32,
  flag: u32,
  max_step: f32,
  ridge: f32,
  m2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> terms: array<vec4f>;
@group(0) @binding(2) var<storage, read> numerator: array<vec2f>;
@group(0) @binding(3) var<storage, read> weight: array<vec2f>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read> src: array<f32>;
@group(0) @binding(6) var<storage, read> d: array<vec2f>;
@group(0) @binding(7) var<storage, read_write> x: array<vec2f>;

fn index(wid: vec3u, nwg: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * LANES + lid;
}

@compute @workgroup_size(64)
fn pixels(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  var aa = 0.0;
  var ab = 0.0;
  var bb = 0.0;
  var ag = 0.0;
  var bg = 0.0;
  for (var k = 0u; k < CHUNK / LANES; k++) {
    let e = w * CHUNK + k * LANES + lid;
    if (e < params.count) {
      let t = terms[e];
      aa += t.x;
      ag += t.y;
      if (params.flag == 1u) {
        let p = d[e];
        ab += t.z * p.x - t.w * p.y;
        bb += dot(p, p) * weight[e & (params.m2 - 1u)].x;
        bg += dot(p, numerator[e]);
      }
    }
  }
  let slot = 5u * (w * LANES + lid);
  out[slot] = aa;
  out[slot + 1u] = ab;
  out[slot + 2u] = bb;
  out[slot + 3u] = ag;
  out[slot + 4u] = bg;
}

@compute @workgroup_size(64)
fn fold(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let u = index(wid, nwg, lid);
  let begin = u * params.flag;
  if (begin >= params.count) {
    return;
  }
  let end = min(begin + params.flag, params.count);
  for (var s = 0u; s < 5u; s++) {
    var acc = 0.0;
    for (var i = begin; i < end; i++) {
      acc += src[5u * i + s];
    }
    out[5u * u + s] = acc;
  }
}

@compute @workgroup_size(1)
fn total() {
  for (var s = 0u; s < 5u; s++) {
    var acc = 0.0;
    for (var u = 0u; u < params.count; u++) {
      acc += src[5u * u + s];
    }
    out[s] = acc;
  }
}

fn clamp_step(step: f32) -> f32 {
  return min(params.max_step, max(0.0, step));
}

@compute @workgroup_size(1)
fn solve() {
  let aa = src[0];
  var ab = 0.0;
  var bb = 0.0;
  var bg = 0.0;
  if (params.flag == 1u) {
    ab = src[1];
    bb = src[2];
    bg = src[4];
  }
  let ag = src[3];
  var object = 0.0;
  var probe = 0.0;
  if (!(aa > 0.0)) {
    if (bb > 0.0) {
      probe = clamp_step(bg / bb);
    }
  } else if (!(bb > 0.0)) {
    object = clamp_step(ag / aa);
  } else {
    let a2 = aa * (1.0 + params.ridge);
    let b2 = bb * (1.0 + params.ridge);
    let det = a2 * b2 - ab * ab;
    if (det > 0.0) {
      object = clamp_step((b2 * ag - ab * bg) / det);
      probe = clamp_step((a2 * bg - ab * ag) / det);
    }
  }
  out[0] = object;
  out[1] = probe;
}

@compute @workgroup_size(64)
fn apply(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) lid: u32) {
  let i = index(wid, nwg, lid);
  let step = src[params.flag];
  if (i >= params.count || step == 0.0) {
    return;
  }
  x[i] = x[i] - step * d[i];
}
