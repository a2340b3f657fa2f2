/** The dialplan's data: what a file declares (trunks, rules) and what route() decides. */

export interface TrunkConfig {
  name: string;
  /** The realm the trunk is reached through. */
  realm: string;
  host: string;
  /** Absent: the transport's default, or what DNS (RFC 3263) says. */
  port?: number;
  /** Absent: udp, unless DNS says otherwise. */
  transport?: 'udp' | 'tcp' | 'tls';
  /** Digest credentials for the trunk's challenges: both or neither. */
  username?: string;
  password?: string;
  /**
   * Digits handling: a user starting with stripPrefix has it replaced by addPrefix (or just
   * removed); without stripPrefix, addPrefix is put in front of every user.
   */
  stripPrefix?: string;
  addPrefix?: string;
}

export type MediaPolicy = 'anchor' | 'direct';

export type RouteDecision =
  | { kind: 'registered'; user: string; media: MediaPolicy; rule: string }
  | { kind: 'trunk'; trunk: TrunkConfig; /** after strip/add */ user: string; media: MediaPolicy; rule: string }
  | { kind: 'reject'; status: number; reason?: string; rule: string };

export interface RouteRequest {
  /** The realm the INVITE came in on. */
  realm: string;
  /** The Request-URI's user part, '' if none. */
  user: string;
  fromUser: string;
  /** Whether a user name is registered now (the registrar's lookup); asked at most once per route(). */
  registered: (user: string) => Promise<boolean>;
}

/** One rule's conditions: every one given must hold; a list means any of its values. */
export interface RuleMatch {
  realm?: readonly string[];
  user?: readonly string[];
  userPrefix?: readonly string[];
  fromUser?: readonly string[];
  registered?: boolean;
}

export type RuleAction = { to: 'registered' } | { trunk: string } | { reject: { status: number; reason?: string } };

export interface Rule {
  name: string;
  /** The file (or source label) the rule came from, for error messages. */
  source: string;
  /** Its place in that file: `rules[3]`. */
  path: string;
  match: RuleMatch;
  action: RuleAction;
  media: MediaPolicy;
}

/** What one dialplan document holds once validated. */
export interface DialplanPart {
  source: string;
  rules: Rule[];
  trunks: { trunk: TrunkConfig; path: string }[];
}
