/* The default host memory budget for datasets (--data-memory): half of what
 * this process may use, so that a dataset read whole into memory leaves room
 * for the model, the page cache and whatever else runs on the machine. */
#include <stdio.h>
#include <unistd.h>

#include "gtrain/data.h"

/* The limit of the cgroup the process runs in (v2, then v1), or 0 for none. */
static unsigned long long cgroup_limit(void)
{
    static const char *const files[] = {"/sys/fs/cgroup/memory.max",
                                        "/sys/fs/cgroup/memory/memory.limit_in_bytes"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
        FILE *f = fopen(files[i], "r");
        if (!f) continue;
        unsigned long long v = 0;
        int ok = fscanf(f, "%llu", &v) == 1; /* "max" (no limit) does not parse */
        fclose(f);
        if (ok && v > 0) return v;
    }
    return 0;
}

size_t gt_data_memory_default(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    unsigned long long total =
        pages > 0 && page > 0 ? (unsigned long long)pages * (unsigned long long)page : 0;
    unsigned long long limit = cgroup_limit();
    if (limit && (total == 0 || limit < total)) total = limit;
    if (total == 0) total = 2ULL << 30; /* unknown: assume a small machine, 2 GiB */
    unsigned long long half = total / 2;
    return half > (unsigned long long)SIZE_MAX ? SIZE_MAX : (size_t)half;
}
