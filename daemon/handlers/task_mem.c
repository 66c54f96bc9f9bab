/* task_mem.h for a real task. */
#include "notify/target.h"
#include "handlers/task_mem.h"

static ssize_t read_string(const struct task_mem *m, uint64_t addr, char *buf, size_t size)
{
        return target_read_string(m->pid, addr, buf, size);
}

static int read_bytes(const struct task_mem *m, uint64_t addr, void *buf, size_t n)
{
        return target_read(m->pid, addr, buf, n);
}

struct task_mem task_mem_of(pid_t pid)
{
        return (struct task_mem){ .read_string = read_string, .read = read_bytes, .pid = pid };
}
