/**
 * Why a server could not listen, in words, or null for another failure: for one line that names the setting to
 * change, not a stack trace. `where` is the address and what set it (`127.0.0.1:8080 (HOST, PORT)`); `taken` and
 * `denied` say what to do, each after its own reason. One reading for the hub, `puddle sandbox` and
 * `puddle aws local`.
 */
export function listenProblem(err: unknown, where: string, advice: { taken: string; denied: string }): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return `${where} is already taken by another process${advice.taken}`;
  if (code === 'EACCES') return `${where} may not be listened on by this user${advice.denied}`;
  return null;
}

/** `, its address A` when a failed listen names an address other than `host` (a name such as localhost is several). */
export function itsAddress(err: unknown, host: string): string {
  const address = (err as { address?: unknown } | null)?.address;
  return typeof address === 'string' && address !== host ? `, its address ${address}` : '';
}
