/**
 * RFC 4028 session timers as pure functions: what a UAC asks for, how a UAS answers (422 or the
 * interval and refresher), and when each side acts on the result.
 */
import { parseDeltaSeconds, parseSessionExpires, parseTokenList, type SipMessage } from '../sip/index.js';
import type { SessionTimerConfig, SessionTimerState } from './types.js';

export const DEFAULT_SESSION_TIMER: Readonly<SessionTimerConfig> = Object.freeze({ interval: 1800, minSE: 90, refreshWith: 'INVITE' });

/** RFC 4028 4: the smallest Min-SE anyone may use. */
const FLOOR = 90;

export function resolveSessionTimer(option: Partial<SessionTimerConfig> | false | undefined): SessionTimerConfig | null {
  if (option === false) return null;
  const c = { ...DEFAULT_SESSION_TIMER, ...option };
  const minSE = Math.max(FLOOR, c.minSE);
  return { ...c, minSE, interval: Math.max(minSE, c.interval) };
}

export function supports(message: SipMessage, option: string): boolean {
  for (const name of ['supported', 'require']) {
    for (const v of message.headerValues(name)) {
      if (parseTokenList(v, name).some((t) => t.toLowerCase() === option)) return true;
    }
  }
  return false;
}

export function requires(message: SipMessage, option: string): boolean {
  for (const v of message.headerValues('require')) {
    if (parseTokenList(v, 'require').some((t) => t.toLowerCase() === option)) return true;
  }
  return false;
}

/** Min-SE of a message (RFC 4028 5), or the floor when absent. */
export function minSEOf(message: SipMessage): number {
  const v = message.header('min-se');
  return v === undefined ? FLOOR : parseDeltaSeconds(v.split(';')[0]!, 'min-se');
}

/** Header fields of a session-refreshing request we send (UAC side of RFC 4028 7.1). */
export function requestHeaders(config: SessionTimerConfig, interval = config.interval, refresher?: 'uac' | 'uas'): [string, string][] {
  return [
    ['Session-Expires', refresher === undefined ? String(interval) : `${interval};refresher=${refresher}`],
    ['Min-SE', String(config.minSE)],
  ];
}

export type UasDecision =
  /** 422 Session Interval Too Small, with our Min-SE (RFC 4028 8.1). */
  | { kind: 'too-small'; minSE: number }
  | { kind: 'none' }
  | { kind: 'timer'; interval: number; refresher: 'uac' | 'uas'; require: boolean };

/**
 * RFC 4028 8 / 9: how a UAS answers a session-refreshing request. A Session-Expires below our
 * Min-SE gets 422; without one we may add our own (refresher uas) when the UAC supports timers
 * or not (9: the UAS then refreshes itself). The refresher asked for is kept; else the UAC when
 * it supports timers (it asked), else us.
 */
export function uasDecide(request: SipMessage, config: SessionTimerConfig | null): UasDecision {
  if (config === null) return { kind: 'none' };
  const uacSupports = supports(request, 'timer');
  const raw = request.header('session-expires');
  if (raw === undefined) {
    return { kind: 'timer', interval: config.interval, refresher: 'uas', require: false };
  }
  const se = parseSessionExpires(raw);
  if (se.seconds < config.minSE) return { kind: 'too-small', minSE: config.minSE };
  const interval = Math.min(se.seconds, Math.max(config.interval, minSEOf(request)));
  const refresher = se.refresher ?? (uacSupports ? 'uac' : 'uas');
  return { kind: 'timer', interval, refresher, require: uacSupports };
}

/** Header fields of a 2xx carrying a UAS decision. */
export function responseHeaders(d: Extract<UasDecision, { kind: 'timer' }>): [string, string][] {
  const out: [string, string][] = [['Session-Expires', `${d.interval};refresher=${d.refresher}`]];
  if (d.require) out.push(['Require', 'timer']);
  return out;
}

/** What a UAC learns from the 2xx to its session-refreshing request (RFC 4028 7.2), or null. */
export function uacFromResponse(response: SipMessage): { interval: number; refresher: 'uac' | 'uas' } | null {
  const raw = response.header('session-expires');
  if (raw === undefined) return null;
  const se = parseSessionExpires(raw);
  return { interval: se.seconds, refresher: se.refresher ?? 'uac' };
}

/**
 * The state to keep once a refresh succeeded: the refresher refreshes at half the interval
 * (RFC 4028 10); the other side gives up at interval minus min(32, interval/3) without one.
 */
export function timerState(interval: number, weRefresh: boolean, now: number): SessionTimerState {
  const ms = weRefresh ? (interval * 1000) / 2 : (interval - Math.min(32, interval / 3)) * 1000;
  // Frozen: a value, replaced on each refresh, which the store then shares rather than copies.
  return Object.freeze({ interval, weRefresh, deadline: now + Math.round(ms) });
}
