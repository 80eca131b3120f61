import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NATIVE_BUILD_DIR = path.join(REPO_ROOT, 'native', 'build');
export const XDPB_HELPER = path.join(NATIVE_BUILD_DIR, 'xdpb');
export const BENCH_OBJECT = path.join(NATIVE_BUILD_DIR, 'bench.bpf.o');
export const GEN_OBJECT = path.join(NATIVE_BUILD_DIR, 'gen.bpf.o');
/** Counts a program's XDP exceptions from the xdp tracepoints (native/trace.bpf.c). */
export const TRACE_OBJECT = path.join(NATIVE_BUILD_DIR, 'trace.bpf.o');
export const TRACEFS_ROOT = '/sys/kernel/tracing';
export const BPFFS_ROOT = '/sys/fs/bpf';
/** Every resource a run takes is named with this prefix, so leftovers can be found. */
export const RESOURCE_PREFIX = 'xdpb-';
/** Which process owns which run id, so cleanup never touches a live run. */
export const RUN_REGISTRY_DIR = '/run/xdp-bench';
