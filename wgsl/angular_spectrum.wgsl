// Angular-spectrum transfer function applied to a batch of spectra in FFT order (zero frequency
// at pixel 0, numpy fftfreq order, Nyquist negative): y[i] <- H(u) y[i], or conj(H(u)) y[i]
// for the adjoint, with u = (uy, ux) in cycles per pixel and
//   H = exp(-i 2 pi b |u|^2 / (1 + sqrt(1 - a^2 |u|^2))),   H = 0 where a^2 |u|^2 > 1,
// a = lambda / dx and b = z lambda / dx^2 (angularSpectrumScales of src/physics/fourier.ts; the
// float64 reference is angularSpectrumKernel there). H is computed per element, so no kernel
// buffer is held per distance.
//
// Bindings (group 0, in binding order): 0 params Spectrum  1 y: array<vec2f> (read_write,
// count x M x M)
// No override constants. Workgroup size 256, linear workgroup index wid.x + wid.y * nwg.x.

struct Spectrum {
  n: u32,
  log2_m: u32,
  conj: u32,
  a: f32,
  b: f32,
}

@group(0) @binding(0) var<uniform> spectrum: Spectrum;
@group(0) @binding(1) var<storage, read_write> y: array<vec2f>;

// shared: begin (also appended to wgsl/angular_spectrum_load.wgsl, the FFT fusion)
const TAU: f32 = 6.283185307179586;

// Frequency of FFT bin i of m in cycles per pixel.
fn frequency(i: u32, m: u32) -> f32 {
  let signed = select(i32(i), i32(i) - i32(m), i >= m / 2u);
  return f32(signed) / f32(m);
}

// H (conj(H) when `conj` is 1) at pixel `pixel` of an M x M spectrum, M = 2^log2_m; 0 where the
// wave is evanescent.
fn transfer(pixel: u32, log2_m: u32, a: f32, b: f32, conj: u32) -> vec2f {
  let m = 1u << log2_m;
  let uy = frequency(pixel >> log2_m, m);
  let ux = frequency(pixel & (m - 1u), m);
  let u2 = ux * ux + uy * uy;
  let c = 1.0 - a * a * u2;
  if (c < 0.0) {
    return vec2f(0.0, 0.0);
  }
  let phase = -TAU * b * u2 / (1.0 + sqrt(c));
  var h = vec2f(cos(phase), sin(phase));
  if (conj == 1u) {
    h.y = -h.y;
  }
  return h;
}
// shared: end

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * 256u + lid;
  if (i >= spectrum.n) {
    return;
  }
  let m = 1u << spectrum.log2_m;
  let h = transfer(i & (m * m - 1u), spectrum.log2_m, spectrum.a, spectrum.b, spectrum.conj);
  let v = y[i];
  y[i] = vec2f(h.x * v.x - h.y * v.y, h.x * v.y + h.y * v.x);
}
