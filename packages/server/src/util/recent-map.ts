/** A map that forgets its least recently used entries past `max`: bounded memory for per-client state. */
export class RecentMap<V> {
  private readonly map = new Map<string, V>();
  /** The most recently used key: using it again changes no order (one client's requests, one after another). */
  private newest: string | undefined;
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined && key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, v);
      this.newest = key;
    }
    return v;
  }
  set(key: string, value: V): void {
    if (key !== this.newest) this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
    if (key === this.newest) this.newest = undefined;
  }
  get size(): number {
    return this.map.size;
  }
}
