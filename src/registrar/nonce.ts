/**
 * Digest nonces that any instance holding the secret can check: `issuedAt.random.mac`, the MAC
 * binding the first two to the realm. Freshness comes from issuedAt, so no table of issued
 * nonces is shared; replays within a nonce's life are caught by the nonce-count table, which is
 * per instance (the load balancer keeps a phone on one instance while it stays up).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

/** Nonces from an instance whose clock runs this far ahead are still taken. */
const SKEW_MS = 30_000;
/** Nonce counts remembered at most: beyond it the oldest go (a client then just gets stale=TRUE). */
const MAX_TRACKED = 10_000;

export type NonceState = 'fresh' | 'stale' | 'invalid';

export class NonceKeeper {
  private readonly secret: Buffer;
  /** Highest nc seen per nonce; Infinity for a nonce used without qop (single use). */
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly realm: string,
    private readonly ttlMs: number,
    secret: string | undefined,
  ) {
    this.secret = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  issue(): string {
    const head = `${this.clock.wallNow().toString(36)}.${randomBytes(12).toString('base64url')}`;
    return `${head}.${this.mac(head)}`;
  }

  check(nonce: string): NonceState {
    const dot = nonce.lastIndexOf('.');
    if (dot < 0) return 'invalid';
    const head = nonce.slice(0, dot);
    const given = Buffer.from(nonce.slice(dot + 1), 'latin1');
    const want = Buffer.from(this.mac(head), 'latin1');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return 'invalid';
    const issuedAt = this.issuedAt(nonce);
    const now = this.clock.wallNow();
    if (issuedAt > now + SKEW_MS) return 'invalid';
    return now - issuedAt > this.ttlMs ? 'stale' : 'fresh';
  }

  /**
   * Records one use of a checked nonce with its nonce count (null without qop); false for a
   * replay: an nc not above the last one seen, or a second use of a nonce without qop.
   */
  use(nonce: string, nc: number | null): boolean {
    const last = this.counts.get(nonce) ?? 0;
    const next = nc === null ? Infinity : nc;
    if (next <= last || (nc === null && last > 0)) return false;
    this.counts.delete(nonce); // re-insert: Map order is then last-use order
    this.counts.set(nonce, next);
    if (this.counts.size > MAX_TRACKED) this.prune();
    return true;
  }

  private prune(): void {
    const now = this.clock.wallNow();
    for (const n of this.counts.keys()) if (now - this.issuedAt(n) > this.ttlMs) this.counts.delete(n);
    for (const n of this.counts.keys()) {
      if (this.counts.size <= MAX_TRACKED) break;
      this.counts.delete(n);
    }
  }

  private issuedAt(nonce: string): number {
    const t = parseInt(nonce.slice(0, nonce.indexOf('.')), 36);
    return Number.isFinite(t) ? t : -Infinity;
  }

  private mac(head: string): string {
    return createHmac('sha256', this.secret).update(`${head}.${this.realm}`).digest('base64url');
  }
}
