/**
 * The code of one unrolled pass: WGSL in which each invocation computes one radix-R Stockham step
 * of one line as straight-line code, with constant indices and constant twiddles inside the R-point
 * DFT. Only R and whether the pass applies inter-pass twiddles are baked in; sizes, strides,
 * direction, scaling and fftshift masks are runtime parameters, so one pipeline serves rows and
 * columns, forward and inverse, every batch and every shift option.
 *
 * @module
 */
import workgroupCode from "../../wgsl/fft_workgroup.wgsl" with { type: "text" };

/** Workgroup size of the unrolled passes (one invocation per radix-R butterfly). */
export const UNROLLED_WORKGROUP = 64;

/**
 * The `Params` struct, defined once in `wgsl/fft_workgroup.wgsl` and reused by the generated passes
 * so both designs read the same uniform layout (packed by `passParams` in `_plan.ts`).
 */
const PARAMS_WGSL = (() => {
  const match = workgroupCode.match(/struct Params \{[^}]*\}/);
  if (!match) throw new Error("wgsl/fft_workgroup.wgsl lost its Params struct");
  return match[0];
})();
/** A complex constant printed so the f32 literal is the rounding of the float64 value. */
function literal(x: number): string {
  const s = x.toPrecision(17);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

/**
 * Straight-line forward DFT of `xs` (names of vec2<f32> values), appended to `out` as `let`
 * statements; returns the names of the results in natural order. Radix-4 decimation in time,
 * radix-2 where log2 of the length is odd; multiplications by 1, -i and (+-1 - i) / sqrt(2) are
 * written without the general complex product.
 */
function dft(xs: string[], out: string[], fresh: () => string): string[] {
  const len = xs.length;
  const emit = (expr: string): string => {
    const name = fresh();
    out.push(`  let ${name} = ${expr};`);
    return name;
  };
  if (len === 1) return xs;
  if (len === 2) return [emit(`${xs[0]} + ${xs[1]}`), emit(`${xs[0]} - ${xs[1]}`)];
  const radix = len % 4 === 0 && len !== 8 ? 4 : 2;
  const m = len / radix;
  const subs: string[][] = [];
  for (let q = 0; q < radix; q++) {
    subs.push(dft(xs.filter((_, i) => i % radix === q), out, fresh));
  }
  const result: string[] = new Array(len);
  for (let k = 0; k < m; k++) {
    const t = subs.map((sub, q) => twiddle(sub[k], q * k, len, emit));
    if (radix === 2) {
      result[k] = emit(`${t[0]} + ${t[1]}`);
      result[k + m] = emit(`${t[0]} - ${t[1]}`);
    } else {
      const a = emit(`${t[0]} + ${t[2]}`);
      const b = emit(`${t[0]} - ${t[2]}`);
      const c = emit(`${t[1]} + ${t[3]}`);
      const d = emit(`${t[1]} - ${t[3]}`);
      // (-i) * d: the forward kernel's quarter turn.
      const e = emit(`vec2<f32>(${d}.y, -${d}.x)`);
      result[k] = emit(`${a} + ${c}`);
      result[k + m] = emit(`${b} + ${e}`);
      result[k + 2 * m] = emit(`${a} - ${c}`);
      result[k + 3 * m] = emit(`${b} - ${e}`);
    }
  }
  return result;
}

/** `x * exp(-2 pi i e / len)` with the trivial angles written out. */
function twiddle(x: string, e: number, len: number, emit: (expr: string) => string): string {
  const eighths = (8 * e) / len;
  if (e === 0) return x;
  if (eighths === 2) return emit(`vec2<f32>(${x}.y, -${x}.x)`);
  const h = literal(Math.SQRT1_2);
  if (eighths === 1) return emit(`vec2<f32>(${x}.x + ${x}.y, ${x}.y - ${x}.x) * ${h}`);
  if (eighths === 3) return emit(`vec2<f32>(${x}.y - ${x}.x, -${x}.x - ${x}.y) * ${h}`);
  const angle = (-2 * Math.PI * e) / len;
  return emit(`cmul(${x}, vec2<f32>(${literal(Math.cos(angle))}, ${literal(Math.sin(angle))}))`);
}

/**
 * Elementwise work fused into a pass: WGSL `code` (bindings from 4 on, its own uniform) that
 * defines `fn fused_load(frame: u32, index: u32) -> vec2<f32>` (used instead of reading src when
 * `load`) and `fn fused_store(frame: u32, index: u32, value: vec2<f32>)` (instead of writing dst
 * when `store`, then `fn fused_finish(invocation: u32)` once per invocation after its stores);
 * `index` is the element's offset in its n x n frame, shifts applied (no buffer offsets). Code
 * that also defines `fn fused_load_begin(frame: u32, line: u32)` (or `fused_store_begin`) has it
 * called once per invocation of the loading (storing) pass before its first fused load (store),
 * `line` being the index of the invocation's line in its frame as `index` counts (the row times n
 * in a pass along rows, the column along columns), shifts applied: what every element of a frame
 * or line shares is loaded there once, into private variables, instead of once per element. On
 * the software adapter each storage access is a loop over the SIMD lanes, and the compiler cannot
 * merge repeated loads of a pass across its stores.
 */
export interface PassFusion {
  code: string;
  load: boolean;
  store: boolean;
}

/**
 * WGSL of one radix-`radix` pass. Bindings: 0 params (uniform), 1 src (read), 2 dst (read_write),
 * 3 twiddle table exp(-2 pi i t / n) for t < n (only when `twiddled`), 4 on: the fusion's.
 */
export function unrolledPassWgsl(radix: number, twiddled: boolean, fusion?: PassFusion): string {
  const body: string[] = [];
  let counter = 0;
  const fresh = () => `v${counter++}`;
  const inputs: string[] = [];
  if (fusion?.load && fusion.code.includes("fn fused_load_begin(")) {
    body.push("  fused_load_begin(f, line_in * p.line_stride);");
  }
  if (fusion?.store && fusion.code.includes("fn fused_store_begin(")) {
    body.push("  fused_store_begin(f, line_out * p.line_stride);");
  }
  if (twiddled) {
    // Inter-pass twiddle w^r, w = exp(-2 pi i k / (ls R)), from one table load per base-4 digit
    // of r (w, w^4, w^16, ...) instead of R - 1 loads: memory accesses, not arithmetic, bound the
    // software adapter. Building w^r from digits keeps the float32 rounding of each loaded value
    // amplified at most 3 times per digit.
    for (let p = 1; p < radix; p *= 4) {
      body.push(`  let w${p} = tw[k * ${p}u * tstep];`);
      if (2 * p < radix) body.push(`  let w${2 * p} = cmul(w${p}, w${p});`);
      if (3 * p < radix) body.push(`  let w${3 * p} = cmul(w${2 * p}, w${p});`);
    }
    for (let r = 2; r < radix; r++) {
      const p = 4 ** Math.floor(Math.log(r) / Math.log(4) + 1e-9);
      const top = r - (r % p);
      if (top !== r) body.push(`  let w${r} = cmul(w${top}, w${r % p});`);
    }
  }
  for (let r = 0; r < radix; r++) {
    const name = `x${r}`;
    const load = fusion?.load
      ? `fused_load(f, line_in * p.line_stride + ((j + ${r}u * q) ^ p.load_mask) * p.elem_stride) * conj_in`
      : `src[base_in + ((j + ${r}u * q) ^ p.load_mask) * p.elem_stride] * conj_in`;
    body.push(
      twiddled && r > 0 ? `  let ${name} = cmul(${load}, w${r});` : `  let ${name} = ${load};`,
    );
    inputs.push(name);
  }
  const outputs = dft(inputs, body, fresh);
  outputs.forEach((name, r) => {
    body.push(
      fusion?.store
        ? `  fused_store(f, line_out * p.line_stride + ((out0 + ${r}u * p.ls) ^ p.store_mask) * p.elem_stride, ${name} * scale);`
        : `  dst[base_out + ((out0 + ${r}u * p.ls) ^ p.store_mask) * p.elem_stride] = ${name} * scale;`,
    );
  });
  if (fusion?.store) body.push("  fused_finish(i);");
  return `// Generated by src/fft/_codegen.ts: radix-${radix} Stockham pass${
    twiddled ? " with inter-pass twiddles" : ""
  }.
// Bindings: 0 params (uniform Params), 1 src (storage, read), 2 dst (storage, read_write)${
    twiddled ? ",\n// 3 tw (storage, read): exp(-2 pi i t / n), t < n" : ""
  }. No overrides. Workgroup size ${UNROLLED_WORKGROUP}.
${PARAMS_WGSL}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
${twiddled ? "@group(0) @binding(3) var<storage, read> tw: array<vec2<f32>>;\n" : ""}
fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(${UNROLLED_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  // No early return past the count: on the software adapter an invocation that may have left puts
  // every later storage access under a per-lane execution mask (about 10 to 20 % of a pass at
  // 128). Invocations past the count redo the last line and write what it writes.
  let i = min((wid.x + wid.y * nwg.x) * ${UNROLLED_WORKGROUP}u + lid, p.count - 1u);
  let line = i % p.fast;
  let j = (i / p.fast) % p.mid;
  let f = i / (p.fast * p.mid);
  let q = p.n / ${radix}u;
  let k = j % p.ls;
  let tstep = q / p.ls;
  let out0 = (j - k) * ${radix}u + k;
  let line_in = line ^ p.load_mask;
  let line_out = line ^ p.store_mask;
  let base_in = p.src_off + f * p.frame + line_in * p.line_stride;
  let base_out = p.dst_off + f * p.frame + line_out * p.line_stride;
  let conj_in = vec2<f32>(1.0, p.in_sign);
  let scale = vec2<f32>(p.out_re, p.out_im);
${body.join("\n")}
}
${fusion?.code ?? ""}`;
}
