#define _GNU_SOURCE
#include "CPylon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <pthread.h>
#include <unistd.h>

ssize_t pylon_send_with_fds(int socket, const void *bytes, size_t length, const int *fds, int fd_count) {
    if (fd_count < 0 || fd_count > PYLON_MAX_FDS_PER_MESSAGE) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov = {.iov_base = (void *)bytes, .iov_len = length};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;

    // Large enough for the maximum descriptor count, aligned for cmsghdr.
    union {
        char buffer[CMSG_SPACE(sizeof(int) * PYLON_MAX_FDS_PER_MESSAGE)];
        struct cmsghdr align;
    } control;
    if (fd_count > 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buffer;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fd_count);
    }
    ssize_t sent;
    do {
        sent = sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent;
}

ssize_t pylon_recv_with_fds(int socket, void *bytes, size_t capacity, int *fds, int max_fds, int *fd_count, int *truncated) {
    *fd_count = 0;
    *truncated = 0;
    struct iovec iov = {.iov_base = bytes, .iov_len = capacity};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    union {
        char buffer[CMSG_SPACE(sizeof(int) * PYLON_MAX_FDS_PER_MESSAGE)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof(control));
    msg.msg_control = control.buffer;
    msg.msg_controllen = sizeof(control.buffer);

    ssize_t received;
    do {
        received = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (received < 0 && errno == EINTR);
    if (received < 0) {
        return received;
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        *truncated = 1;
    }
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        const int *received_fds = (const int *)CMSG_DATA(cmsg);
        for (int i = 0; i < count; i++) {
            if (*fd_count < max_fds) {
                fds[(*fd_count)++] = received_fds[i];
            } else {
                // No room: close it rather than leak it, and say so.
                close(received_fds[i]);
                *truncated = 1;
            }
        }
    }
    return received;
}

int pylon_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

static int pylon_spawn(const char *path, char *const argv[], char *const envp[], int control_fd, int output_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawnattr_init(&attributes);
    if (result != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return result;
    }
    int lowest_to_close = 3;
    int spare = -1;
    if (result == 0) result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (control_fd >= 0) {
        // dup2 onto a different number clears CLOEXEC; if it already is 3, the dup2 is a
        // no-op and the flag would stay, so go through a spare number first.
        if (control_fd == 3) {
            spare = fcntl(control_fd, F_DUPFD_CLOEXEC, 10);
            if (spare < 0) result = errno;
            control_fd = spare;
        }
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, control_fd, 3);
        lowest_to_close = 4;
    }
    if (output_fd >= 0) {
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
        if (result == 0) result = posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
    } else if (control_fd < 0) {
        if (result == 0) result = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        if (result == 0) result = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    }
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, lowest_to_close);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    if (result == 0) result = posix_spawnattr_setsigmask(&attributes, &empty);
    if (result == 0) result = posix_spawnattr_setsigdefault(&attributes, &all);
    if (result == 0) result = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (result == 0) result = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (spare >= 0) close(spare);
    return result;
}

int pylon_spawn_with_control_fd(const char *path, char *const argv[], char *const envp[], int control_fd, pid_t *pid) {
    if (control_fd < 0) return EINVAL;
    return pylon_spawn(path, argv, envp, control_fd, -1, pid);
}

int pylon_spawn_capturing_output(const char *path, char *const argv[], char *const envp[], int output_fd, pid_t *pid) {
    return pylon_spawn(path, argv, envp, -1, output_fd, pid);
}

static volatile int pylon_signal_pipe_write_end = -1;

static void pylon_signal_pipe_handler(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    // Full pipe: the byte is dropped, but the reader is already awake and, for SIGCHLD,
    // reaps every exited child in one go.
    ssize_t ignored = write(pylon_signal_pipe_write_end, &byte, 1);
    (void)ignored;
    errno = saved;
}

int pylon_signal_pipe_install(const int *signals, int count) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    pylon_signal_pipe_write_end = fds[1];
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = pylon_signal_pipe_handler;
    action.sa_flags = SA_RESTART;
    sigfillset(&action.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &action, NULL) != 0) return -1;
    }
    if (pylon_signal_mask(signals, count, 0) != 0) return -1;
    return fds[0];
}

int pylon_signal_mask(const int *signals, int count, int block) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    int result = pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
    if (result != 0) {
        errno = result;
        return -1;
    }
    return 0;
}

int pylon_set_cloexec(int fd, int on) {
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags);
}

int pylon_memfd(const char *name) {
    return memfd_create(name, MFD_CLOEXEC);
}

int pylon_seqpacket_pair(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

int pylon_accept_cloexec(int fd) {
    int client;
    do {
        client = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    } while (client < 0 && errno == EINTR);
    return client;
}

int pylon_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}
