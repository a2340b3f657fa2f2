/**
 * Requests inside a call's dialogs, crossing from one leg to the other: re-offers (re-INVITE,
 * UPDATE) with their answers and ACKs, and the requests passed through as they are.
 */
import type { Side } from '../media/index.js';
import type { Logger } from '../observability/logger.js';
import { SdpParseError } from '../sdp/index.js';
import type { SipRequest } from '../sip/index.js';
import { UaError, UaErrorCode, type IncomingOffer, type IncomingRequest, type Session } from '../ua/index.js';
import { MediaRefused, MediaUnavailable, type MediaPlan } from './media-plan.js';

const PASS_THROUGH = new Set(['INFO', 'MESSAGE', 'OPTIONS', 'NOTIFY']);

/**
 * What a re-offer or an ACK needs of its call, handed over per request: the call holds nothing
 * more for its whole life.
 */
export interface BridgedLegs {
  readonly id: string;
  readonly log: Logger;
  readonly sessions: Partial<Record<Side, Session>>;
  /** This party owes an answer in its ACK (we offered in our 2xx to its offerless re-INVITE). */
  readonly pendingAnswer: Record<Side, boolean>;
  readonly media: MediaPlan | null;
  /** An SDP from `from` regenerated for the other party (relay streams opened or updated). */
  bridge(from: Side, sdp: string): string | Promise<string>;
  /** The call's records saved, with the SDP now in force. */
  save(): Promise<void>;
}

/** A re-INVITE or UPDATE on one leg goes to the other; its answer comes back the same way. */
export async function reoffer(call: BridgedLegs, from: Side, offer: IncomingOffer): Promise<void> {
  const other = call.sessions[from === 'a' ? 'b' : 'a'];
  const mine = call.sessions[from];
  const usable = other?.state === 'confirmed' || (other?.state === 'early' && offer.method === 'UPDATE');
  // An offer of the far party's own still open there is glare too, across the B2BUA (14.2).
  if (other === undefined || mine === undefined || !usable || other.offerPending(offer.method === 'UPDATE' ? 'UPDATE' : 'INVITE')) {
    offer.reject(491);
    return;
  }
  const sdp = offer.sdp;
  if (sdp === null) {
    if (offer.method === 'UPDATE') {
      offer.accept(); // an UPDATE without SDP only refreshes the session
      return;
    }
    await offerlessReinvite(call, from, offer, other);
    return;
  }
  try {
    const body = await call.bridge(from, sdp);
    // Glare on the far leg goes back to the offerer as 491, which then retries itself (14.1).
    const response = offer.method === 'UPDATE' ? await other.update({ body }, { retryGlare: false }) : await other.reinvite({ body }, { retryGlare: false });
    if (response.status >= 200 && response.status < 300 && other.record.remoteSdp !== null) {
      offer.accept({ body: await call.bridge(from === 'a' ? 'b' : 'a', other.record.remoteSdp) });
      await call.save();
    } else {
      offer.reject(response.status >= 300 ? response.status : 500);
    }
  } catch (err) {
    // The far party's offer arrived while this one's SDP was being bridged: glare, as above.
    if (err instanceof UaError && err.code === UaErrorCode.pending) {
      offer.reject(491);
      return;
    }
    call.log.warn({ err, call: call.id }, 're-offer failed');
    offer.reject(err instanceof MediaUnavailable || err instanceof MediaRefused || err instanceof SdpParseError ? 488 : 500);
  }
}

/**
 * A re-INVITE without SDP asks for an offer: the far party is asked the same way, its offer
 * (in its 2xx) goes to this party regenerated, and this party's answer (in its ACK) updates the
 * relay. The far party gets our SDP in force as its answer: the relay's endpoints toward it do
 * not change, so media keeps flowing whatever this party answers.
 */
async function offerlessReinvite(call: BridgedLegs, from: Side, offer: IncomingOffer, other: Session): Promise<void> {
  // offerPending was false a moment ago (reoffer), and nothing was awaited since.
  const response = await other.reinvite(undefined, { retryGlare: false });
  if (response.status < 200 || response.status >= 300 || other.record.remoteSdp === null) {
    offer.reject(response.status >= 300 ? response.status : 500);
    return;
  }
  const to: Side = from === 'a' ? 'b' : 'a';
  call.pendingAnswer[from] = true;
  offer.accept({ body: await call.bridge(to, other.record.remoteSdp) });
  await call.save();
}

/** The ACK of our 2xx on one leg: a late-offer answer is bridged, else an answer updates the relay. */
export async function ackArrived(call: BridgedLegs, side: Side, ack: SipRequest): Promise<void> {
  const body = ack.bodyLength > 0 ? ack.bodyUtf8() : null;
  const b = call.sessions.b;
  if (side === 'a' && b?.ackPending) {
    await lateAnswer(call, body, b);
    return;
  }
  if (call.pendingAnswer[side] && body !== null) await call.media?.apply(side, body);
  call.pendingAnswer[side] = false;
}

async function lateAnswer(call: BridgedLegs, answer: string | null, b: Session): Promise<void> {
  try {
    b.acknowledge(answer === null ? undefined : { body: await call.bridge('a', answer) });
  } catch (err) {
    call.log.warn({ err, call: call.id }, 'late answer not bridged');
    b.acknowledge();
  }
}

/** INFO (DTMF), MESSAGE, OPTIONS, NOTIFY cross to the far leg (`other`); the far final comes back. */
export async function passRequest(other: Session | undefined, incoming: IncomingRequest): Promise<void> {
  if (!PASS_THROUGH.has(incoming.method) || other === undefined || other.state === 'terminated') {
    incoming.respond(incoming.method === 'REFER' || incoming.method === 'SUBSCRIBE' ? 501 : 405);
    return;
  }
  const r = incoming.request;
  const headers: [string, string][] = [];
  for (const name of ['Event', 'Subscription-State', 'Info-Package']) {
    const v = r.header(name);
    if (v !== undefined) headers.push([name, v]);
  }
  try {
    const response = await other.request(incoming.method, {
      headers,
      ...(r.bodyLength > 0 ? { body: r.body, contentType: r.header('content-type') ?? 'application/octet-stream' } : {}),
    });
    incoming.respond(response.status, response.bodyLength > 0 ? { body: response.body, contentType: response.header('content-type') ?? 'application/octet-stream' } : undefined);
  } catch {
    incoming.respond(500);
  }
}
