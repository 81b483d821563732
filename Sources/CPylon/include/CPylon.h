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

/// Spawns `path` with `argv`/`envp` (NULL-terminated) as a child whose fd 3 is `control_fd`
/// (CLOEXEC cleared by the dup), stdin /dev/null, stdout/stderr inherited, every other
/// descriptor above 3 closed, the signal mask empty and every disposition default.
/// Returns 0 and stores the pid, or an errno value.
int pylon_spawn_with_control_fd(const char *path, char *const argv[], char *const envp[], int control_fd, pid_t *pid);

/// Like `pylon_spawn_with_control_fd` without a control fd, with stdout and stderr both going
/// to `output_fd` (e.g. a pipe's write end); -1 for /dev/null.
int pylon_spawn_capturing_output(const char *path, char *const argv[], char *const envp[], int output_fd, pid_t *pid);

/// Installs an async-signal-safe handler for each of `signals` that writes the signal
/// number as one byte to a non-blocking, close-on-exec pipe, unblocks them in the calling
/// thread, and returns the pipe's read end (or -1 with errno set). Call once per process.
int pylon_signal_pipe_install(const int *signals, int count);

/// Blocks (`block` != 0) or unblocks `signals` in the calling thread.
int pylon_signal_mask(const int *signals, int count, int block);

/// Sets or clears FD_CLOEXEC. Returns 0 or -1 with errno set.
int pylon_set_cloexec(int fd, int on);

/// memfd_create(name, MFD_CLOEXEC). Returns the fd or -1 with errno set.
int pylon_memfd(const char *name);

/// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC). Returns 0 or -1 with errno set.
int pylon_seqpacket_pair(int fds[2]);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC), retrying EINTR. Returns the fd or -1 with errno set.
int pylon_accept_cloexec(int fd);

/// pipe2(fds, O_CLOEXEC). Returns 0 or -1 with errno set.
int pylon_pipe_cloexec(int fds[2]);

/// The maximum number of descriptors one message may carry (the kernel's SCM_MAX_FD).
#define PYLON_MAX_FDS_PER_MESSAGE 253

#endif
