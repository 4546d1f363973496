/* Fuzz target: the IDX reader (gt_dataset_load_idx). The first two bytes of
 * an input say where the image file ends and the label file begins. */
#include <string.h>

#include "fuzz_file.h"
#include "gtrain/gtrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t split = (size_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;
    if (split > size) split = size;
    char images[512], labels[512];
    if (!gt_fuzz_write_file("idx", "-images", data, split, images, sizeof images) ||
        !gt_fuzz_write_file("idx", "-labels", data + split, size - split, labels, sizeof labels))
        return 0;
    gt_dataset *ds = NULL;
    if (gt_dataset_load_idx(images, labels, 10, &ds) == GT_OK) gt_dataset_free(ds);
    remove(images);
    remove(labels);
    return 0;
}
