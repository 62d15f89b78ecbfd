/** The live view's listening address: `--serve [HOST:]PORT`, loopback unless a host is named. */

/** Where the live view listens. */
export interface ServeAddress {
  hostname: string;
  port: number;
}

/** The address `--serve` uses when given only a port. */
export const DEFAULT_SERVE_HOST = "127.0.0.1";

/** The port of `--serve` given alone in a config file or as `--serve 8765`. */
export const DEFAULT_SERVE_PORT = 8765;

/**
 * Parses `PORT`, `HOST:PORT` or `[IPV6]:PORT`.
 *
 * @throws {RangeError} for a port outside 1..65535 or text of another form.
 * @example
 * ```ts
 * parseServeAddress("0.0.0.0:9000"); // { hostname: "0.0.0.0", port: 9000 }
 * ```
 */
export function parseServeAddress(text: string): ServeAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:\[\]\s]+):)?(\d+)$/.exec(text.trim());
  if (!match) {
    throw new RangeError(`expected PORT or HOST:PORT (e.g. 8765 or 0.0.0.0:8765), got '${text}'`);
  }
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`expected a port from 1 to 65535, got ${match[3]}`);
  }
  return { hostname: match[1] ?? match[2] ?? DEFAULT_SERVE_HOST, port };
}

/** True for addresses only this machine reaches: 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || /^127(\.\d{1,3}){3}$/.test(hostname);
}
