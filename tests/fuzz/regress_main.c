/*
 * Regression driver for the fuzz targets (docs/fuzzing.md): linked with one target instead of
 * libFuzzer, it runs LLVMFuzzerTestOneInput once on every file named on the command line and
 * on every regular file of every directory named. `make test` runs it over the target's seed
 * corpus (tests/fuzz/corpus/<target>/) and its regression inputs (tests/fuzz/regress/<target>/),
 * under the sanitizers in `make asan`: an input that once crashed a parser must stay harmless.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path, unsigned long *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "regress: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            fprintf(stderr, "regress: out of memory\n");
            return -1;
        }
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    fclose(f);
    /* an exact-size copy, so that ASan sees a read one past the input */
    uint8_t *in = malloc(len ? len : 1);
    if (!in) {
        free(buf);
        return -1;
    }
    memcpy(in, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(in, len);
    free(in);
    (*n)++;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    unsigned long n = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue; /* a target without regression inputs yet */
        if (!S_ISDIR(st.st_mode)) {
            bad |= run_file(argv[i], &n) < 0;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            bad = 1;
            continue;
        }
        char **names = NULL;
        size_t k = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.')
                continue;
            char **nn = realloc(names, (k + 1) * sizeof *names);
            if (!nn)
                break;
            names = nn;
            size_t l = strlen(argv[i]) + strlen(de->d_name) + 2;
            names[k] = malloc(l);
            if (!names[k])
                break;
            snprintf(names[k++], l, "%s/%s", argv[i], de->d_name);
        }
        closedir(d);
        qsort(names, k, sizeof *names, cmp);
        for (size_t j = 0; j < k; j++) {
            bad |= run_file(names[j], &n) < 0;
            free(names[j]);
        }
        free(names);
    }
    printf("regress: %lu inputs run\n", n);
    return bad ? 1 : 0;
}
