// baresip 1.0 (Debian baresip-core) as a headless phone inside a network namespace, driven
// through its stdin. What it does here (tried on this machine):
// - With the stdio module loaded and stdin a pipe it says "stdio: could not setup terminal" and
//   still reads commands from the pipe: "/dial sip:...\n", "/hold\n", "/resume\n", "/quit\n".
//   So a test can wait for what it printed (registered, call established) and then act, instead
//   of guessing delays for `-e` commands, which run at start-up before anything is registered.
// - Its stdout is not block-buffered on a pipe: lines arrive as they happen. `-s` adds a full SIP
//   trace to stdout, which the tests read for SDP directions.
// - The aufile source plays the WAV (8 kHz mono S16) once; when it ends the phone hangs up
//   ("menu: audio error (0,end of file)" on the side whose file ended first).
// - The sndfile filter writes dump-<time>-dec.wav (what was heard) and -enc.wav (what was sent).
//   After a re-INVITE (hold) the decode dump stops growing for the rest of the call, also in a
//   direct baresip-to-baresip call without any SBC: only the audio before the first re-INVITE
//   is in it.
// - On hold (`/hold`) it sends a=sendonly and then sends no RTP at all until `/resume`; its aufile
//   keeps reading meanwhile, so the call still ends when the WAV ends.
// - `/quit` unregisters and exits 0 within milliseconds; `-t SECONDS` is the hard cap.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnIn, terminate } from '../harness/netns.js';

const MODULE_PATH = '/usr/lib/baresip/modules';
const OUTPUT_CAP = 4 * 1024 * 1024;

export interface PhoneOptions {
  /** SIP user name; the account is <sip:USER@SBC>. */
  user: string;
  ns: string;
  /** Interface and address inside ns (baresip needs a non-loopback address). */
  dev: string;
  address: string;
  /** The SBC's SIP address (port 5060, UDP). */
  sbc: string;
  /** A directory of its own: config, accounts and the sndfile dumps go there. */
  dir: string;
  /** The WAV it plays (8 kHz mono S16). */
  tone: string;
  /** Auto-answer incoming calls. */
  answer?: boolean;
  /** Hard cap on its run time (-t). */
  maxSeconds: number;
}

/** Writes the phone's config and accounts files. */
function writeConfig(o: PhoneOptions): void {
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(
    join(o.dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen ${o.address}:5060`,
      `audio_source aufile,${o.tone}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `module_path ${MODULE_PATH}`,
      'module stdio.so',
      'module g711.so',
      'module aufile.so',
      'module alsa.so',
      'module sndfile.so',
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${o.dir}`,
      `net_interface ${o.dev}`,
      '',
    ].join('\n'),
  );
  const params = o.answer === true ? ';regint=60;answermode=auto' : ';regint=60';
  writeFileSync(join(o.dir, 'accounts'), `<sip:${o.user}@${o.sbc}>${params}\n`);
}

export class Phone {
  private out = '';
  private exitCode: number | null | undefined;
  private readonly waiters = new Set<() => void>();
  readonly done: Promise<number | null>;

  private constructor(
    readonly opts: PhoneOptions,
    private readonly child: ChildProcess,
  ) {
    const onData = (c: Buffer): void => {
      this.out += c.toString('latin1');
      if (this.out.length > OUTPUT_CAP) this.out = this.out.slice(this.out.length - OUTPUT_CAP);
      this.wake();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    // A closed stdin (the phone exited) must not become an unhandled 'error'.
    child.stdin?.on('error', () => undefined);
    this.done = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.exitCode = code;
        // Kept beside the dumps for a human looking into a failure (see SLUICE_KEEP_TMP).
        try {
          writeFileSync(join(opts.dir, 'output.log'), this.output);
        } catch {
          // the directory is already gone
        }
        this.wake();
        resolve(code);
      });
    });
  }

  /** Writes its files and starts it (with -s, the SIP trace) inside its namespace. */
  static start(opts: PhoneOptions): Phone {
    writeConfig(opts);
    const child = spawnIn(opts.ns, 'baresip', ['-s', '-f', opts.dir, '-t', String(opts.maxSeconds)], {
      cwd: opts.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Phone(opts, child);
  }

  /** Everything it printed so far (stdout and stderr; CRLF and the status line's lone CR as newlines). */
  get output(): string {
    return this.out.replace(/\r\n/g, '\n').replace(/\r/g, '\n');
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** How often `re` occurs in the output so far. */
  count(re: RegExp): number {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    return [...this.out.matchAll(g)].length;
  }

  /**
   * Resolves once `re` has occurred `times` times in the output; rejects after timeoutMs or when
   * the phone exits first, with the tail of its output in the message.
   */
  waitFor(re: RegExp, timeoutMs: number, times = 1): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.count(re) >= times) {
          finish();
          resolve();
        } else if (this.exitCode !== undefined) {
          finish();
          reject(this.failure(`exited (${String(this.exitCode)}) before ${String(re)} x${times}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(this.failure(`no ${String(re)} x${times} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private failure(what: string): Error {
    const tail = this.output.split('\n').filter((l) => !/^\[\d+:\d+:\d+\] audio=/.test(l.trim())).join('\n').slice(-4000);
    return new Error(`baresip ${this.opts.user}: ${what}\n--- output tail ---\n${tail}`);
  }

  /** Types a command (e.g. "/dial sip:bob@10.0.0.1") followed by Enter. */
  send(command: string): void {
    this.child.stdin?.write(`${command}\n`);
  }

  /** `/quit`, then SIGTERM/SIGKILL (by PID) if it has not exited within graceMs. */
  async quit(graceMs = 3_000): Promise<number | null> {
    if (this.exitCode === undefined) {
      this.send('/quit');
      const exited = await Promise.race([this.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), graceMs))]);
      if (!exited) await terminate(this.child);
    }
    return this.done;
  }

  /** The sndfile dump of what it heard (dump-*-dec.wav); throws when there is not exactly one. */
  decodedDump(): string {
    const files = readdirSync(this.opts.dir).filter((f) => /^dump-.*-dec\.wav$/.test(f));
    if (files.length !== 1) throw new Error(`${this.opts.user}: expected one dump-*-dec.wav in ${this.opts.dir}, found ${JSON.stringify(files)}`);
    return join(this.opts.dir, files[0] as string);
  }
}

/** A sine tone WAV as baresip's aufile wants it: 8 kHz, mono, signed 16 bit. */
export function makeTone(file: string, hz: number, seconds: number): void {
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', file, 'synth', String(seconds), 'sine', String(hz), 'vol', '0.5'], {
    timeout: 10_000,
    stdio: 'ignore',
  });
}

export interface ToneStat {
  seconds: number;
  rms: number;
  /** sox's "Rough frequency" (zero crossings): ~438 for 440 Hz and ~975 for 1000 Hz through G.711. */
  frequency: number;
}

/** `sox FILE -n stat` (it reports on stderr): length, RMS amplitude and rough frequency. */
export function toneStat(file: string): ToneStat {
  const r = spawnSync('sox', [file, '-n', 'stat'], { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const field = (label: RegExp): number => {
    const m = new RegExp(`${label.source}:\\s*(-?[\\d.]+)`).exec(text);
    if (m === null) throw new Error(`sox stat of ${file}: no ${label.source} in:\n${text}`);
    return Number(m[1]);
  };
  return { seconds: field(/Length \(seconds\)/), rms: field(/RMS\s+amplitude/), frequency: field(/Rough\s+frequency/) };
}
