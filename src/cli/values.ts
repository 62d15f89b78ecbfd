/**
 * Parsers of option values. Each turns the text of one option into a typed value or throws
 * commander's `InvalidArgumentError` with one sentence saying what was expected, which the CLI
 * prints as `error: option '--tiles <RxC>' argument '0x2' is invalid. ...` and exit status 2.
 */
import { InvalidArgumentError } from "commander";
import { parseServeAddress, type ServeAddress } from "../serve/address.ts";

/** An integer >= `min` (`--iterations 0` is allowed: it writes the initial guess). */
export function integerAtLeast(min: number): (text: string) => number {
  return (text) => {
    const value = Number(text.trim());
    if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`Expected an integer >= ${min}.`);
    }
    return value;
  };
}

/** A finite number > 0 (physical sizes, photon counts). */
export function positiveNumber(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError("Expected a number > 0.");
  }
  return value;
}

/** A finite number >= 0 (position errors). */
export function nonNegativeNumber(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError("Expected a number >= 0.");
  }
  return value;
}

/** A number in (0, 1] (RAAR's relaxation). */
export function unitFraction(text: string): number {
  const value = Number(text.trim());
  if (text.trim() === "" || !(value > 0 && value <= 1)) {
    throw new InvalidArgumentError("Expected a number > 0 and <= 1.");
  }
  return value;
}

/** A tile grid `RxC` such as `2x2` or `3x4`, both at least 1. */
export function tileGrid(text: string): [number, number] {
  const match = /^\s*(\d+)\s*[xX×]\s*(\d+)\s*$/.exec(text);
  const rows = match ? Number(match[1]) : 0;
  const cols = match ? Number(match[2]) : 0;
  if (rows < 1 || cols < 1 || !Number.isSafeInteger(rows) || !Number.isSafeInteger(cols)) {
    throw new InvalidArgumentError("Expected rows x columns, both at least 1, such as 2x2.");
  }
  return [rows, cols];
}

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A byte count: a plain integer, or a number with a unit (`512MiB`, `2GB`, `1.5GiB`). */
export function byteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  const bytes = match && unit ? Math.round(Number(match[1]) * unit) : 0;
  if (!(bytes > 0) || !Number.isSafeInteger(bytes)) {
    throw new InvalidArgumentError(
      "Expected a positive byte count, such as 4000000000, 512MiB or 2GB.",
    );
  }
  return bytes;
}

/** A power of two >= 8 (frame sizes: the FFT's sizes). */
export function powerOfTwo(text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < 8 || !Number.isInteger(Math.log2(value))) {
    throw new InvalidArgumentError("Expected a power of two >= 8, such as 64 or 128.");
  }
  return value;
}

/** `PORT` or `HOST:PORT` of the live view (`--serve`). */
export function serveAddress(text: string): ServeAddress {
  try {
    return parseServeAddress(text);
  } catch (error) {
    throw new InvalidArgumentError(
      `${(error as Error).message[0].toUpperCase()}${(error as Error).message.slice(1)}.`,
    );
  }
}
