import { appendFile } from 'node:fs/promises';
import type { CallRecord } from './records.js';

/** One JSON line per ended call, appended to a file (an operator's billing and audit trail). */
export class CdrWriter {
  private chain: Promise<void> = Promise.resolve();
  written = 0;
  failed = 0;

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
    // Appends are serialised so lines never interleave; a failed write is counted, never thrown.
    this.chain = this.chain.then(() =>
      appendFile(this.file, line + '\n').then(
        () => void this.written++,
        () => void this.failed++,
      ),
    );
  }

  flush(): Promise<void> {
    return this.chain;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
