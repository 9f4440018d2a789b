// Which seized zone, if any, a query name falls in. A handful of zones at most, so a Map probe
// per label of the name, from the full name up to its top-level label.

export class SeizedZones<T> {
  private readonly byApex: ReadonlyMap<string, T>;

  /** `zones`: lowercase apex names without the trailing dot, each with what answers for it. */
  constructor(zones: Iterable<readonly [string, T]>) {
    this.byApex = new Map(zones);
  }

  get size(): number {
    return this.byApex.size;
  }

  /** The zone holding `qname` (lowercase, no trailing dot): the apex itself or a name below it. */
  find(qname: string): T | undefined {
    let name = qname;
    for (;;) {
      const zone = this.byApex.get(name);
      if (zone !== undefined) return zone;
      const dot = name.indexOf('.');
      if (dot < 0) return undefined;
      name = name.slice(dot + 1);
    }
  }
}
