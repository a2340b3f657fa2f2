/**
 * What V8's --trace-gc-nvp says of a process's garbage collections, read from its stdout (one
 * name=value line per collection): how many young (scavenge) and full (mark-compact)
 * collections, what the young ones promoted to the old generation, and their pauses on the main
 * thread. Counted from the last reset() on, so that a warm-up is left out.
 */
export interface GcFigures {
  scavenges: number;
  fullCollections: number;
  /** Bytes the young collections moved to the old generation. */
  promotedBytes: number;
  /** Main-thread pause of the young collections, ms (their helper threads' time is not in it). */
  scavengePauseMs: number;
  fullPauseMs: number;
}

/** The number after ` name=` in a trace line, 0 where the line has none. */
const numberAfter = (line: string, name: string): number => {
  const at = line.indexOf(` ${name}=`);
  if (at < 0) return 0;
  return Number.parseFloat(line.slice(at + name.length + 2));
};

export class GcTrace {
  private partial = '';
  private figures: GcFigures = GcTrace.zero();

  private static zero(): GcFigures {
    return { scavenges: 0, fullCollections: 0, promotedBytes: 0, scavengePauseMs: 0, fullPauseMs: 0 };
  }

  /** A chunk of the process's stdout; lines may be split across chunks. */
  readonly write = (chunk: string): void => {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  };

  reset(): void {
    this.figures = GcTrace.zero();
  }

  read(): GcFigures {
    return { ...this.figures };
  }

  private line(line: string): void {
    if (!line.includes(' gc=')) return;
    const f = this.figures;
    if (line.includes(' gc=s ')) {
      f.scavenges++;
      f.promotedBytes += numberAfter(line, 'promoted');
      f.scavengePauseMs += numberAfter(line, 'pause');
    } else if (line.includes(' gc=mc ')) {
      f.fullCollections++;
      f.fullPauseMs += numberAfter(line, 'pause');
    }
  }
}
