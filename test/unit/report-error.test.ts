import test from 'ava';
import { describeError } from '../../harness/cli/report-error.ts';
import { EXIT, UsageError } from '../../ground/errors.ts';

const STACK_LINE = /\n\s+at .+:\d+:\d+\)?/;

test('describeError: a BenchError is its own line and exit code; the stack only when debugging', (t) => {
  const plain = describeError(new UsageError('--trials "0x3": expected a decimal integer'), false);
  t.is(plain.exitCode, EXIT.usage);
  t.is(plain.text, 'bench: --trials "0x3": expected a decimal integer\n');
  t.regex(describeError(new UsageError('x'), true).text, STACK_LINE);
});

test('describeError: an unforeseen error is one "internal error" line with its name and errno, exit 1; stack on request', (t) => {
  const e = Object.assign(new TypeError("Cannot read properties of undefined (reading 'x')\nsecond line"), { code: 'ERR_X' });
  const plain = describeError(e, false);
  t.is(plain.exitCode, EXIT.runFailure);
  t.regex(plain.text, /^bench: internal error: TypeError ERR_X: Cannot read properties of undefined \(reading 'x'\) \(a bug in xdp bench: run again with XDPB_DEBUG=1/);
  t.is(plain.text.trimEnd().split('\n').length, 1, 'one line, no stack');
  t.regex(describeError(e, true).text, STACK_LINE);
  t.regex(describeError('a thrown string', false).text, /^bench: internal error: Error: a thrown string/);
});
