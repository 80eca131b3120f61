/* Child process for the DUT lock tests: takes a lock, says so, holds it until stdin closes.
 * argv: DIR DUT_HOST IFNAME RUN_ID */
import { acquireDutLock } from '../../harness/lab/dut-lock.ts';

const [dir, dutHost, ifname, runId] = process.argv.slice(2) as [string, string, string, string];
const lock = await acquireDutLock({ dir, dutHost, ifname, runId });
process.stdout.write(`locked ${process.pid}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  lock.release();
  process.exit(0);
});
setTimeout(() => process.exit(2), 120_000).unref(); // never outlives a forgetful test by long
