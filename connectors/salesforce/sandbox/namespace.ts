import { OBJECTS } from './schema.js';
import { SoqlError } from './soql.js';

/**
 * The NPSP namespace the sandbox's org shows on the wire: `npsp` (the managed package, the default), another
 * prefix, or none (NPSP deployed unmanaged: `Allocation__c`, `Primary_Contact__c`). The org keeps the managed
 * package's names, as the seed and the tests write them; what it is asked (SOQL, describe paths, recordCount,
 * Bulk job queries) is read back into them, and what it answers (describe, records, CSV headers, errors) is
 * written out under the org's namespace. Other packages' names (`npe01__`, `npe03__`) and the org's own custom
 * fields (`Gift_Aid_Declared__c`) are the same in every org.
 */
export class WireNamespace {
  /** In an unmanaged org: each NPSP name without its prefix -> the name the org keeps. */
  private readonly bare = new Map<string, string>();
  private readonly objects = new Set(Object.keys(OBJECTS));

  constructor(readonly namespace = 'npsp') {
    for (const [object, spec] of Object.entries(OBJECTS)) {
      for (const name of [object, ...Object.keys(spec.fields)]) if (name.startsWith('npsp__')) this.bare.set(name.slice(6), name);
    }
  }

  private get renamed(): boolean {
    return this.namespace !== 'npsp';
  }

  /** A name in what the org is asked, as the org keeps it; an `npsp__` name is unknown to an org of another namespace. */
  inbound(text: string): string {
    if (!this.renamed) return text;
    const stray = /\bnpsp__\w+/.exec(text)?.[0];
    if (stray) {
      const known = this.objects.has(stray);
      throw new SoqlError(known ? 'INVALID_TYPE' : 'INVALID_FIELD', known ? `sObject type '${stray}' is not supported` : `No such column '${stray}'`);
    }
    if (this.namespace) return text.replace(new RegExp(`\\b${this.namespace}__(?=\\w)`, 'g'), 'npsp__');
    return text.replace(/\b[A-Za-z]\w*__c\b/g, (name) => this.bare.get(name) ?? name);
  }

  /** A request's path and parameters (a query's `q`, recordCount's `sObjects`), as the org keeps their names. */
  inboundUrl(u: URL): URL {
    const out = new URL(u);
    out.pathname = this.inbound(u.pathname);
    for (const [k, v] of u.searchParams) out.searchParams.set(k, this.inbound(v));
    return out;
  }

  /** What the org answers, under its namespace. */
  outbound(text: string): string {
    return this.renamed ? text.replace(/\bnpsp__(?=\w)/g, this.namespace ? `${this.namespace}__` : '') : text;
  }
}
