import { balancedGroups } from "../../src/distributed/groups.ts";
import { assertEquals, assertThrows } from "../assert.ts";

Deno.test("balancedGroups() gives each rank a contiguous, non-empty group balanced by positions", () => {
  assertEquals(balancedGroups([5, 9, 3, 7, 4, 8], 1), [0, 0, 0, 0, 0, 0]);
  assertEquals(balancedGroups([5, 9, 3, 7, 4, 8], 2), [0, 0, 0, 1, 1, 1]);
  assertEquals(balancedGroups([5, 9, 3, 7, 4, 8], 4), [0, 1, 1, 2, 2, 3]);
  assertEquals(balancedGroups([10, 10, 10, 10], 2), [0, 0, 1, 1]);
  assertEquals(balancedGroups([100, 1, 1, 1], 4), [0, 1, 2, 3]);
  assertEquals(balancedGroups([1, 1, 1, 100], 2), [0, 0, 0, 1]);
  assertEquals(balancedGroups([0, 0, 0], 3), [0, 1, 2]);
  assertEquals(balancedGroups([0, 0, 0, 0], 2), [0, 0, 1, 1]);
});

Deno.test("balancedGroups() refuses more ranks than tiles and rank counts below one", () => {
  assertThrows(() => balancedGroups([1, 2], 3), RangeError);
  assertThrows(() => balancedGroups([1, 2], 0), RangeError);
});
