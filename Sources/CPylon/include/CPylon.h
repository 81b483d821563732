#ifndef PYLON_CPYLON_H
#define PYLON_CPYLON_H

#include <stddef.h>
#include <sys/types.h>

/// Sends `length` bytes as one datagram on `socket` with `fd_count` descriptors attached
/// (SCM_RIGHTS). Returns the bytes sent, or -1 with errno set. Retries EINTR.
ssize_t pylon_send_with_fds(int socket, const void *bytes, size_t length, const int *fds, int fd_count);

/// Receives one datagram into `bytes` (at most `capacity`) and up to `max_fds` descriptors
/// into `fds`, created close-on-exec (MSG_CMSG_CLOEXEC). `*fd_count` receives how many
/// arrived; `*truncated` is set when the datagram or its descriptors did not fit (any
/// descriptors that arrived are still returned, and must be closed by the caller).
/// Returns the bytes received (0 = peer closed), or -1 with errno set. Retries EINTR.
ssize_t pylon_recv_with_fds(int socket, void *bytes, size_t capacity, int *fds, int max_fds, int *fd_count, int *truncated);

/// Asks the kernel to send `signal` to this process when its parent dies
/// (prctl(PR_SET_PDEATHSIG)). Returns 0 or -1 with errno set.
int pylon_set_parent_death_signal(int signal);

/// The maximum number of descriptors one message may carry (the kernel's SCM_MAX_FD).
#define PYLON_MAX_FDS_PER_MESSAGE 253

#endif
