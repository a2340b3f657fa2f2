/**
 * What V8's sampling heap profiler (the inspector's HeapProfiler.startSampling) reports, summed
 * per allocation site. A sample's own frame is often a builtin (Map.prototype.set, Array.prototype
 * push, a Buffer method): the site it is charged to is the innermost frame of the project's own
 * code on its stack, which is where a change would have to be made.
 */

export interface SamplingCallFrame {
  functionName: string;
  url: string;
}

export interface SamplingNode {
  callFrame: SamplingCallFrame;
  selfSize: number;
  children?: SamplingNode[];
}

export interface SiteBytes {
  /**
   * `function (file)`, the file relative to the project (`src/sip/parser.ts`, `dist/...`). No line:
   * under tsx the profile's lines are those of the transpiled code.
   */
  site: string;
  bytes: number;
}

/** The project's own code: its src/ (run by tsx) or its build (dist/). */
const OWN = /\/(src|dist)\/[^:]*$/;

function label(frame: SamplingCallFrame, own: boolean): string {
  const name = frame.functionName || '(anonymous)';
  if (!own) return `${name} (${frame.url === '' ? 'native' : (frame.url.split('/').pop() ?? frame.url)})`;
  return `${name} (${frame.url.slice(frame.url.search(/\/(src|dist)\//) + 1)})`;
}

/** Total sampled bytes and the bytes of each site, largest first. */
export function bytesBySite(head: SamplingNode): { total: number; sites: SiteBytes[] } {
  const sites = new Map<string, number>();
  let total = 0;
  const walk = (node: SamplingNode, ownSite: string | null): void => {
    const isOwn = OWN.test(node.callFrame.url);
    const site = isOwn ? label(node.callFrame, true) : ownSite;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const key = site ?? label(node.callFrame, false);
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const c of node.children ?? []) walk(c, site);
  };
  walk(head, null);
  return { total, sites: [...sites].map(([site, bytes]) => ({ site, bytes })).sort((a, b) => b.bytes - a.bytes) };
}
