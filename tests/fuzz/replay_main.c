/* A main for the fuzz targets where libFuzzer is not used (GCC builds, the
 * ordinary ctest run): runs the target once on every file named on the
 * command line, so each target is built and its seed corpus replayed on
 * every build, sanitizers included. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    int files = 0;
    for (int i = 1; i < argc; ++i) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "replay: cannot open %s\n", argv[i]);
            return 1;
        }
        uint8_t *buf = NULL;
        size_t size = 0, cap = 0, n;
        do {
            if (size == cap) {
                cap = cap ? 2 * cap : 65536;
                uint8_t *grown = realloc(buf, cap);
                if (!grown) return 1;
                buf = grown;
            }
            n = fread(buf + size, 1, cap - size, f);
            size += n;
        } while (n > 0);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, size);
        free(buf);
        ++files;
    }
    printf("replay: %d inputs, no crash\n", files);
    return files > 0 ? 0 : 1;
}
