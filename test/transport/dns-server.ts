import { createSocket, type Socket } from 'node:dgram';

/**
 * A small authoritative DNS server on loopback for resolver tests: answers A, AAAA, SRV and
 * NAPTR from a table, NXDOMAIN otherwise, so node:dns is exercised for real.
 */
export type Record =
  | { type: 'A'; name: string; address: string }
  | { type: 'AAAA'; name: string; address: string }
  | { type: 'SRV'; name: string; priority: number; weight: number; port: number; target: string }
  | { type: 'NAPTR'; name: string; order: number; preference: number; flags: string; service: string; regexp: string; replacement: string };

const TYPES = { A: 1, AAAA: 28, SRV: 33, NAPTR: 35 } as const;

export class TestDnsServer {
  private socket: Socket | null = null;
  port = 0;
  queries: string[] = [];

  constructor(private readonly records: Record[]) {}

  async start(): Promise<void> {
    const s = createSocket('udp4');
    s.on('message', (msg, rinfo) => {
      const reply = this.answer(msg);
      if (reply) s.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    this.port = s.address().port;
    this.socket = s;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.socket ? this.socket.close(() => r()) : r()));
  }

  private answer(q: Buffer): Buffer | null {
    if (q.length < 12) return null;
    const id = q.readUInt16BE(0);
    let pos = 12;
    const labels: string[] = [];
    while (pos < q.length && q[pos]! > 0) {
      const len = q[pos]!;
      labels.push(q.subarray(pos + 1, pos + 1 + len).toString('latin1'));
      pos += len + 1;
    }
    pos++;
    const qtype = q.readUInt16BE(pos);
    const question = q.subarray(12, pos + 4);
    const name = labels.join('.').toLowerCase();
    const typeName = (Object.keys(TYPES) as (keyof typeof TYPES)[]).find((k) => TYPES[k] === qtype);
    this.queries.push(`${typeName ?? qtype} ${name}`);
    const matches = this.records.filter((r) => r.type === typeName && r.name.toLowerCase() === name);
    const exists = this.records.some((r) => r.name.toLowerCase() === name);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8400 | (exists ? 0 : 3), 2); // response, authoritative, NXDOMAIN if unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(matches.length, 6);
    const answers = matches.map((r) => rr(r, qtype));
    return Buffer.concat([header, question, ...answers]);
  }
}

function encodeName(name: string): Buffer {
  if (name === '' || name === '.') return Buffer.from([0]);
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

function rr(r: Record, qtype: number): Buffer {
  let data: Buffer;
  switch (r.type) {
    case 'A':
      data = Buffer.from(r.address.split('.').map(Number));
      break;
    case 'AAAA': {
      data = Buffer.alloc(16);
      const [head, tail] = r.address.split('::') as [string, string | undefined];
      const h = head ? head.split(':') : [];
      const t = tail ? tail.split(':') : [];
      const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
      groups.forEach((g, i) => data.writeUInt16BE(parseInt(g, 16), i * 2));
      break;
    }
    case 'SRV': {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(r.priority, 0);
      fixed.writeUInt16BE(r.weight, 2);
      fixed.writeUInt16BE(r.port, 4);
      data = Buffer.concat([fixed, encodeName(r.target)]);
      break;
    }
    case 'NAPTR': {
      const fixed = Buffer.alloc(4);
      fixed.writeUInt16BE(r.order, 0);
      fixed.writeUInt16BE(r.preference, 2);
      const str = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
      data = Buffer.concat([fixed, str(r.flags), str(r.service), str(r.regexp), encodeName(r.replacement)]);
      break;
    }
  }
  const head = Buffer.alloc(10);
  head.writeUInt16BE(qtype, 0);
  head.writeUInt16BE(1, 2);
  head.writeUInt32BE(60, 4);
  head.writeUInt16BE(data.length, 8);
  return Buffer.concat([encodeName(r.name), head, data]);
}
