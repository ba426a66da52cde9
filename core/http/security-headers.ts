import type { ServerResponse } from 'node:http';

/**
 * Headers every answer of the hub's HTTP API carries, whatever answers it (a route, the producer's fast path, an
 * error, a 404 or 405, a live stream, a dashboard page). Set once per request on the node response, before any
 * route runs, so no route can forget them; a route's own value for one of them still wins.
 *
 * - `nosniff`: a browser reads a JSON answer or a feed as JSON, never as a script or HTML it guessed from the bytes
 *   (an error message quoting a name a caller chose must not become a page).
 * - `no-referrer`: a page opened as `/tv?key=...` never sends that address, key included, to anything it links to
 *   or loads; nor does any other answer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const ENTRIES = Object.entries(SECURITY_HEADERS);

export function setSecurityHeaders(res: Pick<ServerResponse, 'setHeader'>): void {
  for (const [name, value] of ENTRIES) res.setHeader(name, value);
}
