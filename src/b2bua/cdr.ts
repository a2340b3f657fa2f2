import { appendFile } from 'node:fs/promises';
import type { CallRecord } from './records.js';

/**
 * One JSON line per ended call, appended to a file (an operator's billing and audit trail). The
 * lines of the calls that end while an append is in flight go in the next one, together: at
 * thousands of calls a second that is a few appends a second, not one open, write and close per
 * call. Each append opens the file by its path, so a log rotation that moves it needs no signal.
 */
export class CdrWriter {
  /** Lines waiting for the next append. */
  private pending: string[] = [];
  /** The appends under way, until nothing waits. */
  private draining: Promise<void> | null = null;
  written = 0;
  failed = 0;
  /** Appends made (each with one or more lines). */
  appends = 0;

  constructor(private readonly file: string) {}

  write(call: CallRecord, media: unknown): void {
    const duration = call.answeredAt !== null && call.endedAt !== null ? Math.round((call.endedAt - call.answeredAt) / 10) / 100 : 0;
    const line = JSON.stringify({
      id: call.id,
      callIds: { caller: call.caller.callId, callee: call.callee?.callId ?? null },
      caller: call.caller.from,
      callee: call.caller.to,
      route: call.route,
      start: iso(call.startedAt),
      answer: call.answeredAt === null ? null : iso(call.answeredAt),
      end: call.endedAt === null ? null : iso(call.endedAt),
      durationSeconds: duration,
      status: call.status,
      endReason: call.endReason,
      endedBy: call.endedBy,
      media,
    });
    this.pending.push(line);
    this.draining ??= this.drain();
  }

  /** Resolves once every line written so far is appended (or counted as failed). */
  flush(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  /** One append at a time, so lines never interleave; a failed append is counted, never thrown. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.appends++;
      try {
        await appendFile(this.file, batch.join('\n') + '\n');
        this.written += batch.length;
      } catch {
        this.failed += batch.length;
      }
    }
    this.draining = null;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
