/**
 * Requests the UA sends in a transaction of their own: any non-INVITE request (transact), with
 * digest challenges answered (sendWithAuth), and those outside any dialog (OPTIONS, MESSAGE ...).
 */
import { ourVia } from '../dialog/index.js';
import { createResponse, SipRequest, type SipResponse } from '../sip/index.js';
import type { Destination } from '../transaction/index.js';
import { answer401 } from './digest-client.js';
import { UaError, UaErrorCode } from './errors.js';
import { addParts } from './incoming-request.js';
import type { MessageParts } from './types.js';
import type { UserAgent } from './user-agent.js';

export interface OutOfDialogOptions extends MessageParts {
  /** Request-URI. */
  uri: string;
  /** From name-addr without tag (a tag is added). */
  from: string;
  /** To name-addr (default: the Request-URI). */
  to?: string;
  /** Send here instead of resolving the Request-URI (an outbound proxy, a trunk). */
  destination?: Destination;
}

/** Sends a non-INVITE request in a client transaction; resolves with the final response (408/503 made here on timeout or transport error). */
export function transact(ua: UserAgent, request: SipRequest, destination: Destination, onProvisional?: (r: SipResponse) => void): Promise<SipResponse> {
  return new Promise((resolve) => {
    try {
      ua.transactions.createClientTransaction(request, destination, {
        onProvisional: onProvisional ? (r) => onProvisional(r) : undefined,
        onFinal: (r: SipResponse) => resolve(r),
        onTimeout: () => resolve(createResponse(request, 408)),
        onTransportError: () => resolve(createResponse(request, 503)),
      });
    } catch (err) {
      ua.log.warn({ err }, 'request not sent');
      resolve(createResponse(request, 503));
    }
  });
}

/** The credentials of a first attempt: none (never changed: a retry makes a new array). */
const NO_AUTH: [string, string][] = [];

/**
 * Sends a request made by `make` and answers digest challenges (401/407) with the configured
 * credentials, at most once per realm; `make` is called again for each attempt (new CSeq,
 * new branch) with the credentials fields to add.
 */
export async function sendWithAuth(
ua: UserAgent,
make: (auth: [string, string][]) => SipRequest,
destination: Destination,
/** How one attempt is sent: a non-INVITE transaction by default (a re-INVITE brings its own). */
send: (request: SipRequest, destination: Destination) => Promise<SipResponse> = (r, d) => transact(ua, r, d),
/** A first attempt already sent another way (a lean BYE) and challenged: answered from here on. */
challenged?: Attempt,
): Promise<SipResponse> {
  // Made at the first challenge: nearly every request is answered without one.
  let tried: Set<string> | null = null;
  let auth: [string, string][] = NO_AUTH;
  let last = challenged ?? null;
  for (let attempt = 0; ; attempt++) {
    if (last === null) {
      const made = make(auth);
      last = { request: made, response: await send(made, destination) };
    }
    const { request, response } = last;
    last = null;
    if ((response.status === 401 || response.status === 407) && attempt < 3) {
      tried ??= new Set<string>();
      const a = answer401(request, response, ua.credentials, tried);
      if (a !== null) {
        tried.add(a.realm);
        auth = [...auth.filter(([n]) => n !== a.header), [a.header, a.value]];
        continue;
      }
    }
    return response;
  }
}

/** One attempt of a request and its final response. */
export interface Attempt {
  request: SipRequest;
  response: SipResponse;
}

/** Sends a request outside any dialog (OPTIONS, MESSAGE, SUBSCRIBE ...). */
export async function outOfDialogRequest(ua: UserAgent, method: string, options: OutOfDialogOptions): Promise<SipResponse> {
  if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL') {
    throw new UaError(UaErrorCode.state, `${method} is not sent with request(): use invite()`);
  }
  const destination = options.destination ?? (await ua.destinationFor(options.uri));
  const callId = `${ua.newTag()}@sluice`;
  const fromTag = ua.newTag();
  let seq = 1;
  return sendWithAuth(ua, (auth) => {
    const r = new SipRequest(method, options.uri);
    const via = ourVia(ua.viaFor(destination), ua.transactions.newBranch());
    r.appendVia(via.text, via.via);
    r.appendHeader('Max-Forwards', '70');
    r.appendHeader('From', `${options.from};tag=${fromTag}`);
    r.appendHeader('To', options.to ?? `<${options.uri}>`);
    r.appendHeader('Call-ID', callId);
    r.appendHeader('CSeq', `${seq++} ${method}`);
    r.appendHeader('Contact', `<${ua.contactFor(destination)}>`);
    for (const h of ua.standardHeaders()) r.appendHeader(h[0], h[1]);
    for (const h of auth) r.appendHeader(h[0], h[1]);
    addParts(r, options);
    return r;
  }, destination);
}
