/**
 * The last `limit` answers of a pure function of a string, so a client that comes back (a CI
 * pipeline, a script) pays a Map look-up rather than a parse. The oldest entry goes first: a Map
 * keeps insertion order, and an unbounded one would grow with every address ever seen.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(readonly limit: number) {}

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** `compute(key)`, remembered; an answer it throws is not. */
  get(key: string, compute: (key: string) => V): V {
    if (this.entries.has(key)) return this.entries.get(key)!;
    const value = compute(key);
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return value;
  }
}
