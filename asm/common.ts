// Shared by the AssemblyScript tiling modules: the bump allocator over linear memory and the
// centre pixel of a position coordinate.

let top: usize = 0;

/** Forgets every allocation: the next `alloc` starts at the heap base again. */
export function reset(): void {
  top = (__heap_base + 15) & ~(<usize> 15);
}

/** Reserves `bytes` bytes (16-byte aligned), growing the memory when needed. */
export function alloc(bytes: i32): usize {
  if (top == 0) reset();
  const start = top;
  top = (start + <usize> bytes + 15) & ~(<usize> 15);
  const pages = <i32> ((top + 0xffff) >> 16);
  const have = memory.size();
  if (pages > have) memory.grow(pages - have);
  return start;
}

/** Centre pixel of a position coordinate: floor(v). */
export function centre(v: f64): i32 {
  return <i32> Math.floor(v);
}
