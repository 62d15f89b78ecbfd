// LSQ-ML's step terms of one batch per probe pixel (src/problem/lsqml_terms.ts): one invocation
// per element e = (k, p) of a K x M x M probe sums over the batch's positions j, in increasing
// order, with A_jk = w_jk(p) dO[window j, p] the exit-wave change along the object direction (w
// the stored shifted probes, dO the object direction) and G the exit-wave gradient chi:
//   terms[e]  <- (sum_j |A_jk|^2, sum_j Re conj(A_jk) G_jk, sum_j conj(A_jk) O[window j, p])
//                as (aa, ag, v.re, v.im): with the probe direction dP the batch's sums
//                ab = sum_e Re v dP and bb = sum_p |dP|^2 weight need no wave of their own
//                (lsqml_steps.wgsl, pixels);
//   weight[p] <- (sum_j |O[window j, p]|^2, 0)       by the invocations of mode 0,
// the object and v read and written only when flag = 1 (the probe refined; else v = 0 and the
// weight is left alone).
//
// Bindings (group 0, in binding order):
//   0 params Terms  1 origins: array<vec2i> (window origins, top and left, of the scan)
//   2 object: array<vec2f> (H x W, slice 0)  3 direction: array<vec2f> (H x W, dO)
//   4 waves: array<vec2f> (count x K x M x M)  5 chi: array<vec2f> (count x K x M x M)
//   6 terms: array<vec4f> (read_write, K x M x M)  7 weight: array<vec2f> (read_write, M x M)
// No override constants. Workgroup size 64, linear workgroup index wid.x + wid.y * nwg.x.

struct Terms {
  m: u32,
  modes: u32,
  count: u32,
  first: u32,
  width: u32,
  log2_m: u32,
  flag: u32,
}

@group(0) @binding(0) var<uniform> params: Terms;
@group(0) @binding(1) var<storage, read> origins: array<vec2i>;
@group(0) @binding(2) var<storage, read> object: array<vec2f>;
@group(0) @binding(3) var<storage, read> direction: array<vec2f>;
@group(0) @binding(4) var<storage, read> waves: array<vec2f>;
@group(0) @binding(5) var<storage, read> chi: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> terms: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> weight: array<vec2f>;

fn cmul(a: vec2f, b: vec2f) -> vec2f {
  return vec2f(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(64)
fn terms_of(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
            @builtin(local_invocation_index) lid: u32) {
  let m2 = params.m * params.m;
  // Clamped, not returned past the end: on the software adapter an invocation that may have left
  // puts every later storage access under a per-lane mask (this pass took 1.14 times as long).
  // Invocations past the end redo the last element and write what it writes.
  let e = min((wid.x + wid.y * nwg.x) * 64u + lid, params.modes * m2 - 1u);
  let k = e >> (2u * params.log2_m);
  let p = e & (m2 - 1u);
  let py = p >> params.log2_m;
  let px = p & (params.m - 1u);
  var aa = 0.0;
  var ag = 0.0;
  var v = vec2f(0.0);
  var w = 0.0;
  for (var j = 0u; j < params.count; j++) {
    let o = origins[params.first + j];
    let at = (u32(o.x) + py) * params.width + u32(o.y) + px;
    let i = (j * params.modes + k) * m2 + p;
    let a = cmul(direction[at], waves[i]);
    aa += dot(a, a);
    ag += dot(a, chi[i]);
    if (params.flag == 1u) {
      let u = object[at];
      v += cmul(vec2f(a.x, -a.y), u);
      w += dot(u, u);
    }
  }
  terms[e] = vec4f(aa, ag, v.x, v.y);
  if (params.flag == 1u && k == 0u) {
    weight[p] = vec2f(w, 0.0);
  }
}
