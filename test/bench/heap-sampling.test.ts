import { describe, expect, it } from 'vitest';
import { bytesBySite, type SamplingNode } from '../../bench/lib/heap-sampling.js';

const node = (functionName: string, url: string, selfSize: number, children: SamplingNode[] = []): SamplingNode => ({ callFrame: { functionName, url }, selfSize, children });

describe('bytesBySite', () => {
  it("charges a builtin's bytes to the innermost function of the project's own code above it", () => {
    const head = node('(root)', '', 0, [
      node('onMessage', 'node:dgram', 100, [
        node('parseMessage', 'file:///work/main/src/sip/parser.ts', 400, [node('push', '', 50), node('slice', 'node:buffer', 30)]),
        node('run', 'file:///work/main/dist/b2bua/call.js', 0, [node('set', '', 70), node('parseMessage', 'file:///x/src/sip/parser.ts', 20)]),
      ]),
    ]);
    const { total, sites } = bytesBySite(head);
    expect(total).toBe(670);
    expect(sites).toEqual([
      { site: 'parseMessage (src/sip/parser.ts)', bytes: 500 },
      { site: 'onMessage (node:dgram)', bytes: 100 },
      { site: 'run (dist/b2bua/call.js)', bytes: 70 },
    ]);
  });

  it('names an anonymous function and a frame with no file', () => {
    const { sites } = bytesBySite(node('(root)', '', 0, [node('', 'file:///p/src/a.ts', 8), node('(V8 API)', '', 4)]));
    expect(sites).toEqual([
      { site: '(anonymous) (src/a.ts)', bytes: 8 },
      { site: '(V8 API) (native)', bytes: 4 },
    ]);
  });
});
