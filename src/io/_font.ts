/**
 * A 5 x 11 bitmap font with just what scale bars need: digits, the decimal point and the units
 * nm, µm and Å. Two rows above the cap height leave room for the ring of Å; the baseline is
 * under row 8, and two rows below it hold the descender of µ, whose body stands on the baseline
 * like n and m.
 */

// One string per row, top to bottom; kept one glyph per line so the rows read as a table.
// deno-fmt-ignore
const GLYPHS: Record<string, string[]> = {
  "0": ["     ", "     ", " ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### ", "     ", "     "],
  "1": ["     ", "     ", "  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### ", "     ", "     "],
  "2": ["     ", "     ", " ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####", "     ", "     "],
  "3": ["     ", "     ", "#### ", "    #", "    #", " ### ", "    #", "    #", "#### ", "     ", "     "],
  "4": ["     ", "     ", "   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # ", "     ", "     "],
  "5": ["     ", "     ", "#####", "#    ", "#### ", "    #", "    #", "#   #", " ### ", "     ", "     "],
  "6": ["     ", "     ", " ### ", "#    ", "#    ", "#### ", "#   #", "#   #", " ### ", "     ", "     "],
  "7": ["     ", "     ", "#####", "    #", "   # ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "     "],
  "8": ["     ", "     ", " ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### ", "     ", "     "],
  "9": ["     ", "     ", " ### ", "#   #", "#   #", " ####", "    #", "    #", " ### ", "     ", "     "],
  ".": ["     ", "     ", "     ", "     ", "     ", "     ", "     ", " ##  ", " ##  ", "     ", "     "],
  " ": ["     ", "     ", "     ", "     ", "     ", "     ", "     ", "     ", "     ", "     ", "     "],
  "n": ["     ", "     ", "     ", "     ", "#### ", "#   #", "#   #", "#   #", "#   #", "     ", "     "],
  "m": ["     ", "     ", "     ", "     ", "## # ", "# # #", "# # #", "# # #", "# # #", "     ", "     "],
  "µ": ["     ", "     ", "     ", "     ", "#   #", "#   #", "#   #", "#  ##", "### #", "#    ", "#    "],
  "Å": [" ### ", "  #  ", " ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #", "     ", "     "],
};

/** Glyph cell size in font pixels (5 wide plus 1 of spacing, 11 high). */
export const GLYPH_WIDTH = 6;
export const GLYPH_HEIGHT = 11;

/** Width in image pixels of `text` drawn at `scale`. */
export function textWidth(text: string, scale: number): number {
  return [...text].length * GLYPH_WIDTH * scale;
}

/**
 * Draws `text` into an RGB image with its top-left corner at (x, y), each font pixel a
 * `scale` x `scale` block of `colour`. Pixels outside the image are skipped.
 */
export function drawText(
  image: { width: number; height: number; data: Uint8Array },
  text: string,
  at: { x: number; y: number; scale: number; colour: [number, number, number] },
): void {
  let x0 = at.x;
  for (const ch of text) {
    const glyph = GLYPHS[ch];
    if (!glyph) throw new RangeError(`No glyph for ${JSON.stringify(ch)} in the scale-bar font`);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < 5; gx++) {
        if (glyph[gy][gx] !== "#") continue;
        fillRect(image, x0 + gx * at.scale, at.y + gy * at.scale, at.scale, at.scale, at.colour);
      }
    }
    x0 += GLYPH_WIDTH * at.scale;
  }
}

/** Fills a rectangle of an RGB image, clipped to the image. */
export function fillRect(
  image: { width: number; height: number; data: Uint8Array },
  x: number,
  y: number,
  w: number,
  h: number,
  colour: [number, number, number],
): void {
  for (let yy = Math.max(0, y); yy < Math.min(image.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(image.width, x + w); xx++) {
      image.data.set(colour, 3 * (yy * image.width + xx));
    }
  }
}
