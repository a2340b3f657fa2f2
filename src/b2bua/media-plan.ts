/**
 * The media of one call: which relay stream serves each m= line, kept in step with every offer
 * and answer from either party, and the stream targets each leg's SDP gets. Anchored media opens
 * a relay stream per active m= line (new streams get ports, removed ones free them); direct media
 * hands each party the other's own address.
 */
import type { MediaRelay, RelayStream, Side } from '../media/index.js';
import { SluiceError } from '../errors.js';
import { isDomainName, isIpv4Literal, isIpv6Literal, parseSdp, type Sdp } from '../sdp/index.js';
import { deepFreeze } from '../sip/index.js';
import { signalledStreams, type SignalledStream, type StreamTarget } from './sdp-bridge.js';

/** No free port pair for a stream: the offer fails cleanly (503 on a new call, 488 on a re-offer). */
export class MediaUnavailable extends SluiceError {
  constructor(message: string) {
    super('SLUICE_ERR_MEDIA_PORTS', message, 503);
  }
}

/** An SDP whose media the relay cannot use (a host name in c=, another address family): 488. */
export class MediaRefused extends SluiceError {
  constructor(message: string) {
    super('SLUICE_ERR_MEDIA_REFUSED', message, 488);
  }
}

/**
 * Direct media: each stream of the far party's SDP points at the party's own address (a disabled
 * one stays so), an IP literal or a domain name as RFC 8866 allows in c=. Throws MediaRefused
 * (488) for an address that is neither (the parser takes any field there), and for an active
 * stream with no c= at all, which would otherwise reach the far party as 0.0.0.0: a hold nobody
 * asked for.
 */
export function directTargets(streams: readonly SignalledStream[]): StreamTarget[] {
  const targets: StreamTarget[] = [];
  for (const s of streams) {
    if (s.port === null) {
      targets.push({ kind: 'disabled' });
      continue;
    }
    const a = s.address;
    if (a === null) {
      // A zero address is a hold (0.0.0.0 goes on); none at all is an SDP that RFC 8866 5.7 does not allow.
      if (s.zeroAddress) {
        targets.push({ kind: 'direct', address: '0.0.0.0', rtpPort: s.port, rtcpPort: s.rtcpPort });
        continue;
      }
      throw new MediaRefused(`stream ${s.index}: no c= address, for the stream or the session (RFC 8866 5.7)`);
    }
    if (!isIpv4Literal(a) && !isIpv6Literal(a) && !isDomainName(a)) {
      throw new MediaRefused(`stream ${s.index}: c= address ${JSON.stringify(a.slice(0, 64))} is neither an IP address nor a domain name`);
    }
    targets.push({ kind: 'direct', address: a, rtpPort: s.port, rtcpPort: s.rtcpPort });
  }
  return targets;
}

interface MediaEndpointRecord {
  address: string;
  rtpPort: number;
  rtcpPort: number;
}

export class MediaPlan {
  private readonly streams: (RelayStream | null)[] = [];
  /** What each party last signalled, per stream (direct media needs the other's). */
  private readonly signalled: Record<Side, ReturnType<typeof signalledStreams>> = { a: [], b: [] };

  constructor(
    private readonly relay: MediaRelay | null,
    private readonly id: string,
    private readonly realms: Record<Side, string>,
    readonly anchored: boolean,
    /** Keep ports while a stream is on hold (false: release them; resume opens again). */
    private readonly keepOnHold = true,
  ) {}

  /**
   * Applies an SDP (offer or answer) that party `from` sent and returns the targets for the SDP
   * the other party gets. Throws MediaUnavailable when a stream finds no free port pair (the
   * caller answers 488/503); streams already open stay as they were. Direct media answers at
   * once (no relay to ask): a call's offer and answer then cross without a wait for a promise.
   */
  apply(from: Side, sdp: Sdp | string): StreamTarget[] | Promise<StreamTarget[]> {
    const streams = signalledStreams(typeof sdp === 'string' ? parseSdp(sdp) : sdp);
    this.signalled[from] = streams;
    if (!this.anchored || this.relay === null) return directTargets(streams);
    return this.anchor(this.relay, from, streams);
  }

  /** apply() for anchored media: relay streams opened, updated or closed per m= line. */
  private async anchor(relay: MediaRelay, from: Side, streams: ReturnType<typeof signalledStreams>): Promise<StreamTarget[]> {
    const to: Side = from === 'a' ? 'b' : 'a';
    const targets: StreamTarget[] = [];
    for (const s of streams) {
      if (s.port === null) {
        this.closeStream(s.index);
        targets.push({ kind: 'disabled' });
        continue;
      }
      // Release on hold: a c=0.0.0.0 hold frees the stream's ports, the answer to it does not
      // take them again; the holder's next SDP with an address (resume) allocates anew.
      if (!this.keepOnHold && (s.zeroAddress || (this.heldBy[s.index] !== undefined && this.heldBy[s.index] !== from))) {
        if (s.zeroAddress) this.heldBy[s.index] = from;
        this.closeStream(s.index);
        targets.push({ kind: 'relay', address: '0.0.0.0', rtpPort: 9, rtcpPort: 10 });
        continue;
      }
      delete this.heldBy[s.index];
      let stream = this.streams[s.index] ?? null;
      if (stream === null) {
        stream = await relay.open(`${this.id}:${s.index}`, { realm: this.realms[from], rtcpMux: s.rtcpMux }, { realm: this.realms[to], rtcpMux: s.rtcpMux });
        if (stream === null) throw new MediaUnavailable(`no free media port pair for stream ${s.index} of call ${this.id}`);
        // The relay's sides are fixed at open: side 'a' faces the party that opened it.
        this.streams[s.index] = stream;
        this.orientation[s.index] = from;
      }
      const facing = this.sideOf(s.index, from);
      try {
        stream.setRemote(facing, s.address === null ? null : { address: s.address, rtpPort: s.port, rtcpPort: s.rtcpMux ? null : s.rtcpPort });
      } catch (err) {
        throw new MediaRefused(`stream ${s.index}: ${(err as Error).message}`);
      }
      const local = stream.local(this.sideOf(s.index, to));
      targets.push({ kind: 'relay', address: local.address, rtpPort: local.rtpPort, rtcpPort: local.rtcpPort });
    }
    return targets;
  }

  /** Which relay side faces party `party` for stream i (the opener's party is relay side 'a'). */
  private sideOf(index: number, party: Side): Side {
    return this.orientation[index] === party ? 'a' : 'b';
  }

  private readonly orientation: Side[] = [];
  /** Streams released for a c=0.0.0.0 hold, and by whom. */
  private readonly heldBy: Side[] = [];

  private closeStream(index: number): void {
    this.streams[index]?.close();
    this.streams[index] = null;
  }

  /** Per-stream statistics, for the CDR: what each party sent. */
  stats(): { index: number; fromCaller: unknown; fromCallee: unknown }[] {
    const out: { index: number; fromCaller: unknown; fromCallee: unknown }[] = [];
    this.streams.forEach((s, index) => {
      if (s === null) return;
      out.push({ index, fromCaller: s.stats(this.sideOf(index, 'a')), fromCallee: s.stats(this.sideOf(index, 'b')) });
    });
    return out;
  }

  /** ms since the last packet on any stream; null when nothing is anchored. */
  idleMs(): number | null {
    let min: number | null = null;
    for (const s of this.streams) if (s !== null) min = min === null ? s.idleMs() : Math.min(min, s.idleMs());
    return min;
  }

  /**
   * The pinholes as plain data: per stream, the relay endpoint facing each party. Made fresh and
   * frozen, so the store keeps it as it is instead of copying it.
   */
  toRecord(): Readonly<{ anchored: boolean; streams: readonly ({ index: number; caller: MediaEndpointRecord; callee: MediaEndpointRecord } | null)[] }> {
    return deepFreeze({
      anchored: this.anchored,
      streams: this.streams.map((s, index) =>
        s === null ? null : { index, caller: { ...s.local(this.sideOf(index, 'a')) }, callee: { ...s.local(this.sideOf(index, 'b')) } },
      ),
    });
  }

  close(): void {
    for (let i = 0; i < this.streams.length; i++) this.closeStream(i);
  }
}
