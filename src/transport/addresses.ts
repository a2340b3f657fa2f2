/**
 * Peers' addresses as one string each. Every datagram brings its sender's address as a string of
 * its own (dgram's rinfo), and what is kept of a message keeps it: a transaction's source and the
 * destination of its responses for 32 s (Timers J, L and M). Most traffic comes from a few peers
 * (trunks, PBXs, a load balancer), so at a few thousand calls a second the heap held a few
 * hundred thousand copies of the same few addresses, each one more object for every major
 * collection to mark. The table is bounded: when full it starts afresh, so a flood from many
 * addresses costs it no more than its capacity.
 */
export class AddressTable {
  private readonly known = new Map<string, string>();

  constructor(private readonly capacity = 4096) {}

  /** The table's string equal to `address` (it becomes the table's if it has none). */
  of(address: string): string {
    const known = this.known.get(address);
    if (known !== undefined) return known;
    if (this.known.size >= this.capacity) this.known.clear();
    this.known.set(address, address);
    return address;
  }

  get size(): number {
    return this.known.size;
  }
}
