// The documents this store last read or wrote, so that a round reads only what it
// cannot trust. Safe by construction of the apply loop: an entry is only ever what the
// collection held at a read, or what an acknowledged write left there, so it can be
// behind the collection (another writer moved on) but never ahead of it; and every
// write is guarded by the version it was planned from, so a write planned from an
// entry that is behind matches nothing and the loop re-reads. What a behind entry
// could get wrong without a write, a rejection, is never trusted (see store.ts). The
// one way an entry gets ahead of the collection is another collection renamed in under
// the same name (a rebuild's swap): the runtime resumes from the pause around a swap
// with the store's `reset`, which clears it.

/** A bounded map of documents by key string, least recently used first out. */
export class DocumentCache<TDoc> {
  private readonly entries = new Map<string, TDoc>();

  /** @param capacity documents kept at most; 0 keeps none. */
  constructor(readonly capacity: number) {}

  /** Documents held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The document of `key`, marked as just used; undefined when not held. */
  get(key: string): TDoc | undefined {
    const document = this.entries.get(key);
    if (document === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, document);
    return document;
  }

  /** Holds `document` as the collection's current one for `key`, dropping the least recently used beyond capacity. */
  set(key: string, document: TDoc): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, document);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Forgets `key`: the collection's document is not known any more. */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every document: after a pause the collection may be another one (a rebuild's swap). */
  clear(): void {
    this.entries.clear();
  }
}
