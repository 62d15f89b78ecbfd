/**
 * The few assertions the tests use. Deno's standard library lives on JSR, which our machines
 * cannot reach, so these are written here on top of `node:util`'s deep equality.
 */
import { inspect, isDeepStrictEqual } from "node:util";

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message = "Expected a truthy value"): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}values differ\n  actual:   ${inspect(actual)}\n` +
        `  expected: ${inspect(expected)}`,
    );
  }
}

export function assertLessOrEqual(actual: number, limit: number, message?: string): void {
  if (!(actual <= limit)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${actual} <= ${limit}`);
  }
}

export function assertGreaterOrEqual(actual: number, limit: number, message?: string): void {
  if (!(actual >= limit)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${actual} >= ${limit}`);
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

export function assertThrows<E extends Error = Error>(fn: () => unknown, type?: ErrorClass<E>): E {
  try {
    fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new AssertionError(`Expected ${type.name}, got ${inspect(error)}`);
    }
    return error as E;
  }
  throw new AssertionError("Expected the function to throw");
}

export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  type?: ErrorClass<E>,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new AssertionError(`Expected ${type.name}, got ${inspect(error)}`);
    }
    return error as E;
  }
  throw new AssertionError("Expected the promise to reject");
}

/** Relative L2 distance between two equal-length arrays: |a - b| / |b|. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length, "array lengths");
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
