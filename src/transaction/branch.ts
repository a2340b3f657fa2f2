/**
 * Via branch values (RFC 3261 8.1.1.7): the magic cookie "z9hG4bK" followed by an id unique
 * in space and time. Uniqueness is what matters here, not unpredictability.
 */
export const MAGIC_COOKIE = 'z9hG4bK';

/** Produces the unique part of a branch: token characters only, lower case (see matching.ts). */
export type IdSource = () => string;

/** Makes branches; `embed` (a cluster leg key, say) goes between the cookie and the id. */
export type BranchFactory = (embed?: string) => string;

/**
 * A process-wide random prefix and a counter: unique within the process by the counter, and
 * across processes and restarts by the 64-bit prefix. Lower-case base 36, because branches
 * compare case-insensitively (RFC 3261 7.3.1) and must not collide on case alone.
 */
export function counterIdSource(prefix = randomPrefix()): IdSource {
  let n = 0;
  return () => prefix + (++n).toString(36);
}

function randomPrefix(): string {
  const part = (): string => Math.floor(Math.random() * 0x1_0000_0000).toString(36).padStart(7, '0');
  return part() + part();
}

// token (RFC 3261 25.1) minus the characters a branch reader would have to escape.
const EMBED = /^[A-Za-z0-9\-!%*_+`'~]+$/;
/** Separates the embedded key from the id; the id never contains it. */
const EMBED_END = '.';

export function createBranchFactory(ids: IdSource = counterIdSource()): BranchFactory {
  return (embed?: string): string => {
    if (embed === undefined || embed === '') return MAGIC_COOKIE + ids();
    if (!EMBED.test(embed)) throw new TypeError(`branch embed must be token characters without '.', got '${embed}'`);
    return MAGIC_COOKIE + embed + EMBED_END + ids();
  };
}

/** The default factory (random prefix, counter). Layers take their own id source. */
export const newBranch: BranchFactory = createBranchFactory();

/** The key a factory embedded in a branch, or null when there is none. */
export function branchEmbed(branch: string): string | null {
  if (!branch.startsWith(MAGIC_COOKIE)) return null;
  const end = branch.indexOf(EMBED_END, MAGIC_COOKIE.length);
  return end <= MAGIC_COOKIE.length ? null : branch.slice(MAGIC_COOKIE.length, end);
}
