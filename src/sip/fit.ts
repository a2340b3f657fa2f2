/**
 * An array of exactly its length. V8 gives an array grown from [] by push room for 17
 * elements (152 bytes); parsed values (params, Via and Contact lists) mostly hold one or two
 * and live as long as their message (a transaction keeps it for up to 32 s), so the long-lived
 * copy is right-sized and the grown one dies young, where it costs nothing. One and two are
 * written as literals: cheaper than slice() for what nearly every call holds.
 */
export function fit<T>(a: T[]): T[] {
  switch (a.length) {
    case 0:
      return a;
    case 1:
      return [a[0]!];
    case 2:
      return [a[0]!, a[1]!];
    default:
      return a.slice();
  }
}
