// Elementwise work fused into the inverse FFT that turns the probe spectrum into the first
// slice's exit waves (src/operators/exit_wave.ts); appended to a generated FFT pass
// (src/fft/_codegen.ts, which calls these functions with the frame f = b K + k and the element's
// index p in its M x M frame):
//   fused_load (first pass):  spec[k, p] ramp(first + b, p), the `place` kernel of
//                             wgsl/probe.wgsl, with src (binding 1) the spectrum (K x M x M)
//   fused_store (last pass):  dst[b, k, p] <- psi (when flag = 1: the stored slice-0 wave) and
//                             out[b, k, p] <- O[window b, p] psi, the `multiply` kernel of
//                             wgsl/window.wgsl
// Bindings (group 0) after the FFT's 0 - 3: 4 exit: ExitWave (uniform)  5 ramps: array<vec2f>
// (2 M per position, rows then columns)  6 origins: array<vec2i>  7 object: array<vec2f>
// 8 out: array<vec2f> (read_write). The loading pass uses 4 and 5, the storing pass 4, 6, 7, 8.
// fused_load_begin and fused_store_begin load what a line's elements share; fused_finish has
// nothing to do.
// No override constants; workgroup size that of the FFT pass.

struct ExitWave {
  m: u32,
  modes: u32,
  first: u32,
  width: u32,
  slice: u32,
  log2_m: u32,
  flag: u32,
}

@group(0) @binding(4) var<uniform> exit: ExitWave;
@group(0) @binding(5) var<storage, read> ramps: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> origins: array<vec2<i32>>;
@group(0) @binding(7) var<storage, read> object: array<vec2<f32>>;
@group(0) @binding(8) var<storage, read_write> out: array<vec2<f32>>;

// The position of frame f (frames are b K + k); a division only with several modes.
fn exit_position(f: u32) -> u32 {
  if (exit.modes == 1u) {
    return f;
  }
  return f / exit.modes;
}

// What the elements of an invocation's line share, loaded once (src/fft/_codegen.ts): the
// loading pass runs along rows, so its line is one row of one frame and one row of the ramp.
var<private> load_ramps: u32;
var<private> load_row: vec2<f32>;
var<private> load_spectrum: u32;
var<private> store_origin: vec2<i32>;

fn fused_load_begin(f: u32, line: u32) {
  let b = exit_position(f);
  let k = f - b * exit.modes;
  load_ramps = (exit.first + b) * 2u * exit.m;
  load_row = ramps[load_ramps + (line >> exit.log2_m)];
  load_spectrum = k << (2u * exit.log2_m);
}

fn fused_load(f: u32, index: u32) -> vec2<f32> {
  let ramp = cmul(load_row, ramps[load_ramps + exit.m + (index & (exit.m - 1u))]);
  return cmul(src[load_spectrum + index], ramp);
}

fn fused_store_begin(f: u32, line: u32) {
  store_origin = origins[exit.first + exit_position(f)];
}

fn fused_store(f: u32, index: u32, value: vec2<f32>) {
  let i = (f << (2u * exit.log2_m)) + index;
  if (exit.flag == 1u) {
    dst[i] = value;
  }
  let y = u32(store_origin.x) + (index >> exit.log2_m);
  let x = u32(store_origin.y) + (index & (exit.m - 1u));
  out[i] = cmul(object[exit.slice + y * exit.width + x], value);
}

fn fused_finish(invocation: u32) {}
