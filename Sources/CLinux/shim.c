#define _GNU_SOURCE
#include "CLinux.h"
#include <sys/socket.h>
#include <stddef.h>
#include <sched.h>
#include <pthread.h>

int CLinux_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int CLinux_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &event);
}

int CLinux_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
    return epoll_wait(epfd, events, maxevents, timeout);
}

int CLinux_accept4(int fd, int flags) {
    return accept4(fd, NULL, NULL, flags);
}

int CLinux_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int CLinux_active_processor_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int CLinux_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
