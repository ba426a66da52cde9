/**
 * A read route's query string as one value per parameter, or what is wrong with it (a 400 naming the parameter).
 *
 * Fastify makes a repeated parameter an array. Taking its first value answered `?campaign=A&campaign=B` with
 * campaign A alone, as if B had not been asked; so a parameter given twice is refused, as one the route does not
 * take is.
 */
export function queryParams<K extends string>(query: Record<string, unknown>, names: readonly K[]): { params: Partial<Record<K, string>> } | { error: string } {
  const params: Partial<Record<K, string>> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!(names as readonly string[]).includes(k)) return { error: `${k} is not a parameter (${names.join(', ')})` };
    if (Array.isArray(v)) return { error: `${k} is given ${v.length} times: give it once` };
    if (v !== undefined) params[k as K] = String(v);
  }
  return { params };
}
