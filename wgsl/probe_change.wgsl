// Whether the probe changed since the last call, decided on the device so that the
// preconditioner can skip recomputing the illumination without a readback
// (src/problem/_preconditioner.ts).
//
// Entry points and bindings (group 0, in binding order):
//   changed:    0 params Sizes  1 probe: array<vec2f> (count elements)  2 snapshot: array<vec2f>
//               (read_write, count elements)  3 when: array<u32> (read_write, 2 words)
//               when[0] <- 1 if when[1] = 0 (no snapshot yet) or any element's bits differ from
//               the snapshot, else 0; then snapshot <- probe and when[1] <- 1. One workgroup.
//   clear_when: 0 params Sizes  1 when: array<u32>  2 d: array<f32> (read_write, count floats)
//               d[i] <- 0 when when[0] = 1 (else untouched)
// No override constants. Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Sizes {
  count: u32,
}

@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read> probe: array<vec2f>;
@group(0) @binding(2) var<storage, read_write> snapshot: array<vec2f>;
@group(0) @binding(3) var<storage, read_write> flags: array<u32>;
@group(0) @binding(1) var<storage, read> when: array<u32>;
@group(0) @binding(2) var<storage, read_write> d: array<f32>;

var<workgroup> differs: atomic<u32>;

@compute @workgroup_size(256)
fn changed(@builtin(local_invocation_index) lid: u32) {
  // Each invocation compares, then overwrites, the same elements: no barrier between the two.
  var seen = 0u;
  for (var i = lid; i < sizes.count; i += 256u) {
    let a = bitcast<vec2u>(probe[i]);
    let b = bitcast<vec2u>(snapshot[i]);
    if (a.x != b.x || a.y != b.y) {
      seen = 1u;
    }
    snapshot[i] = probe[i];
  }
  if (seen == 1u) {
    atomicOr(&differs, 1u);
  }
  workgroupBarrier();
  if (lid == 0u) {
    flags[0] = select(atomicLoad(&differs), 1u, flags[1] == 0u);
    flags[1] = 1u;
  }
}

@compute @workgroup_size(256)
fn clear_when(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
              @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i < sizes.count && when[0] == 1u) {
    d[i] = 0.0;
  }
}
