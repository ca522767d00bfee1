/** A bounded map that forgets the least recently used entries first. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  /** `onEvict` hears of each entry forgotten to make room (not of deletes). */
  constructor(private readonly capacity: number, private readonly onEvict?: (key: string, value: V) => void) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const [oldest, evicted] = this.map.entries().next().value as [string, V];
      this.map.delete(oldest);
      this.onEvict?.(oldest, evicted);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
