import { describe, expect, it } from 'vitest';
import { MediaPlan, newOrigin, regenerate, signalledStreams } from '../../src/b2bua/index.js';
import { directTargets, MediaRefused } from '../../src/b2bua/media-plan.js';
import { parseSdp } from '../../src/sdp/index.js';

const OFFER = [
  'v=0', 'o=bob 123 456 IN IP4 10.202.1.2', 's=-', 'c=IN IP4 10.202.1.2', 't=0 0',
  'a=ice-ufrag:abcd', 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtcp:4001',
  'a=candidate:1 1 UDP 2130706431 10.202.1.2 4000 typ host', 'a=ssrc:1335173084 cname:sip:bob-0x55@10.202.1.2:5060', 'a=sendonly',
  'm=video 0 RTP/AVP 96', '',
].join('\r\n');

describe('SDP regeneration for a leg', () => {
  it('puts our origin, address and relay ports in, drops ICE and a=ssrc, keeps the rest', () => {
    const out = regenerate(OFFER, { sessId: '77', version: 3 }, '192.0.2.10', [{ kind: 'relay', address: '192.0.2.10', rtpPort: 30000, rtcpPort: 30001 }, { kind: 'disabled' }], true);
    expect(out).toContain('o=sluice 77 3 IN IP4 192.0.2.10');
    expect(out).toContain('m=audio 30000 RTP/AVP 0 101');
    expect(out).toContain('a=rtcp:30001 IN IP4 192.0.2.10');
    expect(out).toContain('a=sendonly');
    expect(out).toContain('m=video 0 RTP/AVP 96');
    expect(out).not.toContain('10.202.1.2');
    expect(out).not.toMatch(/a=(candidate|ssrc|ice-ufrag)/);
  });

  it('keeps a c=0.0.0.0 hold as a hold, and reads the streams a party signalled', () => {
    const held = OFFER.replace('c=IN IP4 10.202.1.2', 'c=IN IP4 0.0.0.0');
    const out = regenerate(held, { sessId: '1', version: 1 }, '192.0.2.10', [{ kind: 'relay', address: '192.0.2.10', rtpPort: 30000, rtcpPort: 30001 }, { kind: 'disabled' }], true);
    expect(out).toContain('c=IN IP4 0.0.0.0');
    expect(signalledStreams(parseSdp(held))[0]).toMatchObject({ zeroAddress: true, address: null, port: 4000 });
    expect(signalledStreams(parseSdp(OFFER))[1]).toMatchObject({ port: null, media: 'video' });
  });
});

describe('SDP regeneration for direct media', () => {
  const direct = (sdp: string, ours = '192.0.2.10'): string => {
    const parsed = parseSdp(sdp);
    return regenerate(parsed, { sessId: '77', version: 3 }, ours, directTargets(signalledStreams(parsed)), false);
  };

  it("drops a=ssrc and a=ssrc-group (a cname is the phone's Contact), keeps ICE (the parties' own media addresses)", () => {
    const offer = OFFER.replace('a=sendonly', 'a=ssrc-group:FID 1335173084 1335173085\r\na= ssrc:1335173085 cname:sip:bob@10.202.1.2\r\na=sendonly').replace('m=video 0 RTP/AVP 96', 'm=video 0 RTP/AVP 96\r\na=ssrc:7 cname:sip:bob@10.202.1.2');
    const out = direct(offer);
    expect(out).not.toMatch(/ssrc|cname|sip:bob/);
    expect(out).toContain('a=candidate:1 1 UDP 2130706431 10.202.1.2 4000 typ host');
    expect(out).toContain('a=ice-ufrag:abcd');
    expect(out).toContain('m=audio 4000 RTP/AVP 0 101\r\nc=IN IP4 10.202.1.2\r\n');
  });

  it('hands a domain name in c= on as it came, with its addrtype, whatever our family', () => {
    const offer = OFFER.replace('c=IN IP4 10.202.1.2', 'c=IN IP4 media.example.com');
    expect(direct(offer)).toContain('m=audio 4000 RTP/AVP 0 101\r\nc=IN IP4 media.example.com\r\n');
    const out6 = direct(offer, '2001:db8::10');
    expect(out6).toContain('c=IN IP6 2001:db8::10\r\n');
    expect(out6).toContain('m=audio 4000 RTP/AVP 0 101\r\nc=IN IP4 media.example.com\r\n');
    expect(out6).toContain('a=rtcp:4001 IN IP4 media.example.com');
    // An IPv6 party's name in the session c= (which becomes ours): the stream's c= keeps IP6.
    const six = OFFER.replace('c=IN IP4 10.202.1.2', 'c=IN IP6 media.example.com');
    expect(direct(six)).toContain('c=IN IP4 192.0.2.10\r\n');
    expect(direct(six)).toContain('m=audio 4000 RTP/AVP 0 101\r\nc=IN IP6 media.example.com\r\n');
  });

  it('refuses an address that is neither an IP nor a domain name with MediaRefused (488), not a TypeError', () => {
    for (const bad of ['1.2.3', 'host_1.example', '010.0.0.1', '2001:db8::zz']) {
      const offer = OFFER.replace('c=IN IP4 10.202.1.2', `c=IN IP4 ${bad}`);
      expect(refusal(offer), bad).toContain('neither an IP address nor a domain name');
    }
  });

  it('refuses an active stream with no c= at all (a hold nobody asked for, were it passed on as 0.0.0.0), and keeps a hold a hold', () => {
    const none = OFFER.replace('c=IN IP4 10.202.1.2\r\n', '');
    expect(refusal(none)).toContain('stream 0: no c= address');
    const held = OFFER.replace('c=IN IP4 10.202.1.2', 'c=IN IP4 0.0.0.0');
    expect(direct(held)).toContain('m=audio 4000 RTP/AVP 0 101\r\nc=IN IP4 0.0.0.0\r\n');
    // A disabled stream needs no address.
    expect(direct(none.replace('m=audio 4000', 'm=audio 0'))).toContain('m=audio 0 RTP/AVP 0 101');
  });
});

/** The MediaRefused (488) a direct-media plan throws for `offer`, as its message. */
function refusal(offer: string): string {
  const plan = new MediaPlan(null, 'c1', { a: 'inside', b: 'outside' }, false);
  let caught: unknown;
  try {
    plan.apply('a', offer);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(MediaRefused);
  expect((caught as MediaRefused).status).toBe(488);
  return (caught as MediaRefused).message;
}

describe('newOrigin', () => {
  it('makes a decimal session id of 10-16 digits without a leading zero, from the random source given', () => {
    expect(newOrigin(() => 0)).toEqual({ sessId: '1000000000', version: 1 });
    expect(newOrigin(() => 0.999999999999).sessId).toBe('4194303999999999');
    for (let i = 0; i < 200; i++) expect(newOrigin(Math.random).sessId).toMatch(/^[1-9]\d{9,15}$/);
  });
});

describe('media plan', () => {
  it("gives direct media its targets at once, not as a promise: each party gets the other's own address", () => {
    const plan = new MediaPlan(null, 'c1', { a: 'inside', b: 'outside' }, false);
    const targets = plan.apply('a', OFFER);
    expect(Array.isArray(targets)).toBe(true);
    expect(targets).toEqual([{ kind: 'direct', address: '10.202.1.2', rtpPort: 4000, rtcpPort: 4001 }, { kind: 'disabled' }]);
    expect(plan.idleMs()).toBeNull();
  });
});
