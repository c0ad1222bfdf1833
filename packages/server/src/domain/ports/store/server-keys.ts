/** Keys the server keeps to itself (never shown to a tenant), the same for every node sharing the database. */
export interface ServerKeyRepository {
  /**
   * The key named `name` (base64): the one already stored, else `candidate`, stored now. Nodes
   * racing to create it all get the one that was stored first.
   */
  getOrCreate(name: string, candidate: string, at: number): Promise<string>;
}
