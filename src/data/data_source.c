/* What every data source shares: reference counting and the check that the
 * file has not shrunk under the reader. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "data_source.h"
#include "gtrain/status.h"

void gt_data_source_retain(gt_data_source *src)
{
    if (src) src->refs += 1;
}

void gt_data_source_release(gt_data_source *src)
{
    if (!src) return;
    if (--src->refs > 0) return;
    src->ops->close(src);
}

gt_status gt_data_source_check_size(int fd, const char *path, unsigned long long needed,
                                    size_t first, size_t count)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return gt_fail(GT_ERR_IO, "cannot examine %s while reading examples %zu..%zu: %s", path,
                       first, first + count - 1, strerror(errno));
    if ((unsigned long long)st.st_size < needed)
        return gt_fail(GT_ERR_IO,
                       "%s shrank while it was being read: it has %lld bytes now, the dataset "
                       "needs %llu (reading examples %zu..%zu); the file was truncated or is "
                       "being rewritten",
                       path, (long long)st.st_size, needed, first, first + count - 1);
    return GT_OK;
}
