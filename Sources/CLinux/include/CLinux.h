#ifndef C_LINUX_H
#define C_LINUX_H

// The Linux calls Swift's Glibc module does not expose: epoll, eventfd and accept4 sit behind
// _GNU_SOURCE or in headers the module map leaves out, so they are declared here and defined
// in shim.c, which is compiled with _GNU_SOURCE.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

int CLinux_epoll_create(void);
int CLinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int CLinux_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);
int CLinux_accept4(int fd, int flags);
int CLinux_eventfd(void);
/// The number of cores in this process's affinity mask (cgroup and taskset aware), or -1.
int CLinux_active_processor_count(void);
/// Names the calling thread as the kernel sees it (ps, top, /proc/PID/task/TID/comm); at
/// most 15 bytes are kept.
int CLinux_name_current_thread(const char *name);

static const uint32_t CLinux_EPOLLIN = EPOLLIN;
static const uint32_t CLinux_EPOLLOUT = EPOLLOUT;
static const uint32_t CLinux_EPOLLERR = EPOLLERR;
static const uint32_t CLinux_EPOLLHUP = EPOLLHUP;
static const uint32_t CLinux_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CLinux_EPOLLET = EPOLLET;
static const int CLinux_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CLinux_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CLinux_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
static const int CLinux_SOCK_STREAM = SOCK_STREAM;
static const int CLinux_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CLinux_SOCK_CLOEXEC = SOCK_CLOEXEC;

/// The 64-bit user data of an epoll event; the struct is packed on x86-64, which Swift
/// cannot read field by field.
static inline uint64_t CLinux_epoll_event_data(const struct epoll_event *event) {
    return event->data.u64;
}

static inline uint32_t CLinux_epoll_event_events(const struct epoll_event *event) {
    return event->events;
}

#endif
