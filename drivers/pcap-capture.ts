/* Traffic verification from captures: a bounded tcpdump sample on the
 * generator side (run inside its netns through `xdpb exec`), read with
 * pcap-parser, and checked against what the scenario says was sent and should
 * have come back: frame sizes, protocol, distinct flows, reflected frames
 * really swapped.
 *
 * What tcpdump can see on veth (measured, kernel 6.18): frames that go through
 * the stack (the latency prober's probes, the replies the generator side's
 * XDP program passes on). It sees nothing an XDP program handles: frames sent
 * by the live-frame generator (XDP_TX out of gen0) and frames a sink program
 * on gen0 drops never reach the capture taps. For those, pass the frames the
 * generator sends as `requestTemplates` and check what comes back.
 *
 * pcap-parser reads classic microsecond pcap only: the capture asks for it
 * explicitly (`--time-stamp-precision micro`, the default of tcpdump -w), and
 * a nanosecond pcap or a pcapng file gets an error that says so.
 *
 * This module takes the sample; ./pcap-file.ts reads and decodes it,
 * ./capture-verify.ts checks it (both re-exported). */
import { execa } from 'execa';
import { BenchError, CommandError, EXIT } from '../ground/errors.ts';
import { XDPB_HELPER } from '../ground/paths.ts';
// Reading and checking the sample, for the capture's users.
export * from './pcap-file.ts';
export * from './capture-verify.ts';

export interface CaptureOptions {
  netns: string;
  dev: string;
  /** Output file (classic microsecond pcap). */
  file: string;
  /** tcpdump stops by itself after this many frames (-c). */
  maxFrames: number;
  /** Bytes kept per frame (-s, default 256: headers and the probe payload). */
  snapLenBytes?: number;
  /** Which frames: received, sent, or both (-Q, default both). */
  direction?: 'in' | 'out' | 'inout';
  /** A pcap filter expression, one argv element per word (e.g. ['udp']). */
  filter?: string[];
}

export function tcpdumpArgv(o: CaptureOptions): string[] {
  if (!Number.isInteger(o.maxFrames) || o.maxFrames < 1) throw new RangeError(`maxFrames must be a positive integer, got ${o.maxFrames}`);
  return [XDPB_HELPER, 'exec', '--netns', o.netns, '--',
    'tcpdump', '-i', o.dev, '-n', '-p',
    '-U', // packet-buffered: a stop at any moment leaves whole records
    '--immediate-mode', // hand each frame to tcpdump at once: a TPACKET_V3 block would hold them until it times out, and a stop loses them
    '-Z', 'root', // Debian's tcpdump drops to user tcpdump, which may not write into a private scratch dir
    '-c', String(o.maxFrames), '-s', String(o.snapLenBytes ?? 256),
    '--time-stamp-precision', 'micro', '-Q', o.direction ?? 'inout',
    '-w', o.file, ...(o.filter ?? [])];
}

export interface TcpdumpStats {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
}

/** tcpdump's closing lines on stderr ("N packets captured" ...); null when it printed none (killed). */
export function parseTcpdumpStats(stderr: string): TcpdumpStats | null {
  const num = (re: RegExp) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  const captured = num(/^(\d+) packets? captured$/m);
  const receivedByFilter = num(/^(\d+) packets? received by filter$/m);
  const droppedByKernel = num(/^(\d+) packets? dropped by kernel$/m);
  if (captured === null || receivedByFilter === null || droppedByKernel === null) return null;
  return { captured, receivedByFilter, droppedByKernel };
}

export interface CaptureResult {
  file: string;
  stats: TcpdumpStats | null;
  /** count: -c reached; stop: stop() was called; timeout: the time bound ended it. */
  endedBy: 'count' | 'stop' | 'timeout';
  durationMs: number;
  /** tcpdump's own words ("listening on ...", the closing counts). */
  stderr: string;
}

export interface RunningCapture {
  /** Ends the capture now (SIGINT, tcpdump flushes; SIGKILL after 3 s) and returns what it wrote. */
  stop(): Promise<CaptureResult>;
  readonly finished: Promise<CaptureResult>;
}

/** tcpdump could not start or ended badly. */
export class CaptureError extends BenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`capture: ${message}`, EXIT.runFailure, options);
  }
}

/**
 * Starts tcpdump and resolves once it is listening (bounded by readyTimeoutMs),
 * so traffic sent afterwards is in the sample. The capture ends by itself at
 * maxFrames or after timeoutMs, whichever comes first.
 */
export async function startCapture(o: CaptureOptions & { timeoutMs: number; readyTimeoutMs?: number }): Promise<RunningCapture> {
  const argv = tcpdumpArgv(o);
  const started = performance.now();
  const child = execa(argv[0]!, argv.slice(1), { reject: false, buffer: true, stdin: 'ignore' });
  let endedBy: CaptureResult['endedBy'] = 'count';
  let killTimer: NodeJS.Timeout | undefined;
  const interrupt = (why: CaptureResult['endedBy']) => {
    if (child.exitCode !== null) return;
    endedBy = why;
    child.kill('SIGINT');
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 3000);
  };
  const bound = setTimeout(() => interrupt('timeout'), o.timeoutMs);
  const finished = child.then((r): CaptureResult => {
    clearTimeout(bound);
    if (killTimer) clearTimeout(killTimer);
    const stderr = String(r.stderr ?? '');
    // tcpdump exits 0 on -c and on SIGINT (it catches it); anything else is a failure.
    if (r.exitCode !== 0) {
      throw new CommandError(argv, r.exitCode ?? null, stderr || String(r.signal ?? ''), performance.now() - started);
    }
    return { file: o.file, stats: parseTcpdumpStats(stderr), endedBy, durationMs: performance.now() - started, stderr };
  });
  finished.catch(() => undefined); // observed by whoever awaits it

  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const fail = (why: string) => {
      clearTimeout(readyTimer);
      interrupt('stop');
      reject(new CaptureError(`${why}${seen.trim() ? `: ${seen.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    };
    const readyTimer = setTimeout(() => fail(`tcpdump did not start listening within ${o.readyTimeoutMs ?? 5000} ms`), o.readyTimeoutMs ?? 5000);
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (/listening on /.test(seen)) {
        clearTimeout(readyTimer);
        resolve();
      }
    });
    finished.then(
      () => fail('tcpdump ended before it was listening'),
      (error: unknown) => {
        clearTimeout(readyTimer);
        reject(new CaptureError((error as Error).message, { cause: error }));
      },
    );
  });

  return {
    finished,
    async stop() {
      interrupt('stop');
      return finished;
    },
  };
}
