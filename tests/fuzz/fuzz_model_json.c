/* Fuzz target: the Keras model JSON reader (gt_model_from_json_text), and
 * for what it accepts, the summary and the JSON writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrain/gtrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    gt_model *m = NULL;
    if (gt_model_from_json_text(text, "<fuzz>", &m) == GT_OK) {
        FILE *sink = fopen("/dev/null", "w");
        if (sink) {
            gt_model_summary(m, sink);
            fclose(sink);
        }
        char *json = NULL;
        if (gt_model_to_json(m, &json) == GT_OK) free(json);
        gt_model_free(m);
    }
    free(text);
    return 0;
}
