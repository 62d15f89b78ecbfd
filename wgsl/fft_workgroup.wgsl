// Batched FFT along one axis, the design for real GPUs: a workgroup transforms `fast` whole lines
// held in workgroup memory with radix-4 Stockham stages (radix 2 last when log2 n is odd); loads
// and stores run along whichever direction is contiguous in memory, so column tiles coalesce.
// Bindings: 0 p (uniform Params), 1 src (storage, read), 2 dst (storage, read_write),
// 3 tw (storage, read): exp(-2 pi i t / n) for t < n, computed in float64 on the host.
// No overrides. Workgroup size 256; workgroup memory 1024 vec2<f32> (8 KiB), so fast * n <= 1024:
// WebGPU zero-initialises workgroup memory, and on the software adapter that initialisation
// compiles in 3 s for 1024 values but 20 s for 2048.
// Params is also the layout of the generated unrolled passes (src/fft/_codegen.ts reads it here).
struct Params {
  count: u32,        // invocations (unrolled) or workgroups (workgroup design) that do work
  fast: u32,         // lines per frame (unrolled: fastest grid index) or lines per workgroup
  mid: u32,          // butterflies per line (unrolled: second grid index)
  rows: u32,         // 1: elements of a line are contiguous (row pass), 0: lines are (columns)
  n: u32,            // transform length
  ls: u32,           // Stockham span of this pass (1 for the first)
  line_stride: u32,  // elements between lines
  elem_stride: u32,  // elements between the values of one line
  src_off: u32,      // element offsets of the frames in src and dst
  dst_off: u32,
  load_mask: u32,    // XORed into line and element indices on load (ifftshift) or 0
  store_mask: u32,   // XORed on store (fftshift) or 0
  in_sign: f32,      // -1 conjugates on load: inverse = conj(F(conj(x)))
  out_re: f32,       // multiplies the real part on store (scale)
  out_im: f32,       // multiplies the imaginary part on store (scale, conjugation)
  frame: u32,        // elements per frame, n * n
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> tw: array<vec2<f32>>;

const WG: u32 = 256u;
var<workgroup> lines: array<vec2<f32>, 1024>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

// Position in workgroup memory (line t, element e) of the q-th value moved to or from memory.
fn tile_index(q: u32, t_count: u32) -> vec2<u32> {
  if (p.rows == 1u) {
    return vec2<u32>(q / p.n, q % p.n);
  }
  return vec2<u32>(q % t_count, q / t_count);
}

// Inputs of radix-4 butterfly b of a stage with span ls, inter-stage twiddles applied.
fn read4(b: u32, ls: u32, quarter: u32) -> array<vec2<f32>, 4> {
  let j = b % quarter;
  let base = (b / quarter) * p.n + j;
  let t = (j % ls) * (quarter / ls);
  return array<vec2<f32>, 4>(
    lines[base],
    cmul(lines[base + quarter], tw[t]),
    cmul(lines[base + 2u * quarter], tw[2u * t]),
    cmul(lines[base + 3u * quarter], tw[3u * t]),
  );
}

// Radix-4 butterfly b: the 4-point DFT of x written in Stockham order.
fn write4(b: u32, ls: u32, quarter: u32, x: array<vec2<f32>, 4>) {
  let j = b % quarter;
  let k = j % ls;
  let out = (b / quarter) * p.n + (j - k) * 4u + k;
  let a = x[0] + x[2];
  let c = x[0] - x[2];
  let d = x[1] + x[3];
  let m = x[1] - x[3];
  // (-i) * m: the forward kernel's quarter turn.
  let e = vec2<f32>(m.y, -m.x);
  lines[out] = a + d;
  lines[out + ls] = c + e;
  lines[out + 2u * ls] = a - d;
  lines[out + 3u * ls] = c - e;
}

// Inputs of radix-2 butterfly b of the last stage (ls = n / 2), twiddled.
fn read2(b: u32) -> array<vec2<f32>, 2> {
  let half = p.n / 2u;
  let base = (b / half) * p.n + b % half;
  return array<vec2<f32>, 2>(lines[base], cmul(lines[base + half], tw[b % half]));
}

fn write2(b: u32, x: array<vec2<f32>, 2>) {
  let half = p.n / 2u;
  let base = (b / half) * p.n + b % half;
  lines[base] = x[0] + x[1];
  lines[base + half] = x[0] - x[1];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.count) { return; }
  let n = p.n;
  let t_count = p.fast;
  let total = n * t_count;
  // t_count divides n, so all lines of a workgroup lie in one frame.
  let first = g * t_count;
  let frame = first / n;
  let within = first % n;

  for (var q = lid; q < total; q += WG) {
    let te = tile_index(q, t_count);
    let at = p.src_off + frame * p.frame + ((within + te.x) ^ p.load_mask) * p.line_stride +
      (te.y ^ p.load_mask) * p.elem_stride;
    lines[te.x * n + te.y] = src[at] * vec2<f32>(1.0, p.in_sign);
  }
  workgroupBarrier();

  // Each stage reads its inputs into registers, waits, then overwrites workgroup memory. With
  // fast * n <= 1024 an invocation owns radix-4 butterfly lid, or radix-2 butterflies lid and
  // lid + WG, named one by one: dynamically indexed private arrays compile very slowly on the
  // software adapter.
  let quarter = n / 4u;
  let fours = total / 4u;
  var ls = 1u;
  while (ls * 4u <= n) {
    var x: array<vec2<f32>, 4>;
    if (lid < fours) { x = read4(lid, ls, quarter); }
    workgroupBarrier();
    if (lid < fours) { write4(lid, ls, quarter, x); }
    workgroupBarrier();
    ls = ls * 4u;
  }
  if (ls < n) {
    // Last radix-2 stage (ls = n / 2): the two inputs of j sit at j and j + n / 2, as do outputs.
    let twos = total / 2u;
    var y0: array<vec2<f32>, 2>;
    var y1: array<vec2<f32>, 2>;
    if (lid < twos) { y0 = read2(lid); }
    if (lid + WG < twos) { y1 = read2(lid + WG); }
    workgroupBarrier();
    if (lid < twos) { write2(lid, y0); }
    if (lid + WG < twos) { write2(lid + WG, y1); }
    workgroupBarrier();
  }

  let scale = vec2<f32>(p.out_re, p.out_im);
  for (var q = lid; q < total; q += WG) {
    let te = tile_index(q, t_count);
    let at = p.dst_off + frame * p.frame + ((within + te.x) ^ p.store_mask) * p.line_stride +
      (te.y ^ p.store_mask) * p.elem_stride;
    dst[at] = lines[te.x * n + te.y] * scale;
  }
}
