/* x86 (32-bit) multiplexes the socket calls through socketcall(2) and the
 * SysV IPC calls through ipc(2): the call number is argument 0, and the
 * real arguments are in the target's memory (socketcall: an array that
 * argument 1 points to; ipc: shuffled registers and memory). Since Linux
 * 4.3 (sockets) and 5.1 (IPC) most also have a number of their own, which
 * libseccomp 2.5 does not give by name. A task may use either form, so a
 * rule on "socket" is compiled for x86 under both:
 *   - the direct number (where the kernel has one), as any other rule;
 *   - socketcall/ipc with an implied condition on argument 0. A rule whose
 *     "args" or "paths" cannot be checked there (they would be read from
 *     memory) must not allow on that form: if it allows, it does not apply
 *     there; otherwise it applies to every call of that kind, whatever its
 *     arguments (fail closed).
 * Numbers: arch/x86/entry/syscalls/syscall_32.tbl, include/uapi/linux/net.h
 * (SYS_*), ipc/syscall.c and include/uapi/linux/ipc.h (SEMOP...). */
#include <string.h>

#include "internal.h"

#define NR_SOCKETCALL 102
#define NR_IPC 117

static const struct mux_entry table[] = {
        { "socket", MUX_SOCKETCALL, 1, 359 },
        { "bind", MUX_SOCKETCALL, 2, 361 },
        { "connect", MUX_SOCKETCALL, 3, 362 },
        { "listen", MUX_SOCKETCALL, 4, 363 },
        { "accept", MUX_SOCKETCALL, 5, -1 },
        { "getsockname", MUX_SOCKETCALL, 6, 367 },
        { "getpeername", MUX_SOCKETCALL, 7, 368 },
        { "socketpair", MUX_SOCKETCALL, 8, 360 },
        { "send", MUX_SOCKETCALL, 9, -1 },
        { "recv", MUX_SOCKETCALL, 10, -1 },
        { "sendto", MUX_SOCKETCALL, 11, 369 },
        { "recvfrom", MUX_SOCKETCALL, 12, 371 },
        { "shutdown", MUX_SOCKETCALL, 13, 373 },
        { "setsockopt", MUX_SOCKETCALL, 14, 366 },
        { "getsockopt", MUX_SOCKETCALL, 15, 365 },
        { "sendmsg", MUX_SOCKETCALL, 16, 370 },
        { "recvmsg", MUX_SOCKETCALL, 17, 372 },
        { "accept4", MUX_SOCKETCALL, 18, 364 },
        { "recvmmsg", MUX_SOCKETCALL, 19, 337 },
        { "sendmmsg", MUX_SOCKETCALL, 20, 345 },
        { "semop", MUX_IPC, 1, -1 },
        { "semget", MUX_IPC, 2, 393 },
        { "semctl", MUX_IPC, 3, 394 },
        { "semtimedop", MUX_IPC, 4, -1 },
        { "msgsnd", MUX_IPC, 11, 400 },
        { "msgrcv", MUX_IPC, 12, 401 },
        { "msgget", MUX_IPC, 13, 399 },
        { "msgctl", MUX_IPC, 14, 402 },
        { "shmat", MUX_IPC, 21, 397 },
        { "shmdt", MUX_IPC, 22, 398 },
        { "shmget", MUX_IPC, 23, 395 },
        { "shmctl", MUX_IPC, 24, 396 },
};

const struct mux_entry *mux_lookup(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(table[i].name, name) == 0)
                        return &table[i];
        return NULL;
}

const struct mux_entry *mux_at(size_t i)
{
        return i < ELEMENTSOF(table) ? &table[i] : NULL;
}

int mux_nr(enum mux_via via)
{
        return via == MUX_IPC ? NR_IPC : NR_SOCKETCALL;
}

/* The kernel reads socketcall's call as an int, and ipc's as the low 16
 * bits of its first argument (the high ones are a version): compare the
 * bits the kernel uses, so that set high bits cannot slip past. */
static struct cond implied(const struct mux_entry *e)
{
        return (struct cond){ .index = 0,
                              .op = COND_MASKED_EQ,
                              .value = e->via == MUX_IPC ? 0xffff : 0xffffffff,
                              .value_two = e->call };
}

bool mux_variant(const struct mux_entry *e, const struct rule *base, struct rule *ret)
{
        if ((base->n_conds || base->n_paths) && base->decision.action == UNOTIFY_ACTION_CONTINUE)
                return false;
        *ret = *base;
        ret->n_conds = 1;
        ret->conds[0] = implied(e);
        ret->n_paths = 0;
        return true;
}

json_t *mux_describe(const struct rule *v, const struct rule *base, uint32_t nr)
{
        const char *via = nr == NR_IPC ? "ipc" : "socketcall";
        json_t *o = json_object();

        if (!o)
                return NULL;
        if (json_object_set_new(o, "nr", json_integer(nr)) < 0 ||
            json_object_set_new(o, via, json_integer((json_int_t)v->conds[0].value_two)) < 0)
                return json_decref(o), NULL;
        if ((base->n_conds || base->n_paths) &&
            json_object_set_new(o, "conditions", json_string("not checked: in target memory")) < 0)
                return json_decref(o), NULL;
        return o;
}
