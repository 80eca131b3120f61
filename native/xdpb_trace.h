/* Shared by native/trace.bpf.c and native/xdpb.c: the slots of the
 * `xdpb_exceptions` per-CPU array. Slots 0..4 are xdp_exception events by the
 * action the program returned (XDP_ABORTED .. XDP_REDIRECT: aborted, or a
 * TX/REDIRECT the driver could not do); then an action value that does not
 * exist; then failed redirects (xdp_redirect_err). */
#ifndef XDPB_TRACE_H
#define XDPB_TRACE_H

#define XDPB_TRACE_INVALID_ACTION 5
#define XDPB_TRACE_REDIRECT_ERR 6
#define XDPB_TRACE_SLOTS 7

#endif
