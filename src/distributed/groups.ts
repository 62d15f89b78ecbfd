/**
 * Contiguous groups of tiles, one per rank, balanced by position count: tile t goes to the rank
 * whose share of the total its positions' middle falls in, moved so that no rank is skipped or
 * left without a tile. Returns the rank of each tile (ascending, from 0 to `ranks` - 1).
 *
 * @example
 * ```ts
 * import { balancedGroups } from "./groups.ts";
 * balancedGroups([5, 9, 3, 7, 4, 8], 2); // [0, 0, 0, 1, 1, 1]
 * ```
 */
export function balancedGroups(positionsPerTile: readonly number[], ranks: number): number[] {
  if (!Number.isInteger(ranks) || ranks < 1) {
    throw new RangeError(`Cannot group tiles for ${ranks} ranks: expected a whole number >= 1`);
  }
  const count = positionsPerTile.length;
  if (ranks > count) {
    throw new RangeError(`Cannot give ${ranks} ranks a tile each: there are ${count} tiles`);
  }
  const total = positionsPerTile.reduce((a, b) => a + b, 0);
  const owners: number[] = [];
  let before = 0;
  for (let t = 0; t < count; t++) {
    const middle = before + positionsPerTile[t] / 2;
    before += positionsPerTile[t];
    if (t === 0) {
      owners.push(0);
      continue;
    }
    const share = total > 0 ? middle / total : (t + 0.5) / count;
    const previous = owners[t - 1];
    // At most one rank further than the previous tile's, and late enough to leave a tile for
    // each rank still to come.
    const wanted = Math.min(Math.floor(share * ranks), previous + 1);
    owners.push(Math.max(wanted, previous, ranks - (count - t)));
  }
  return owners;
}
