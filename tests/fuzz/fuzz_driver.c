/* Runs a libFuzzer target without libFuzzer: every seed given on the
 * command line, then N deterministic mutations of each (bit flips, byte
 * replacements with JSON punctuation, truncations, duplications). Used by
 * ctest so every CI run exercises the parsers on malformed input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char punct[] = "{}[]\":,\\\n 0-e.tfnu";

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return rng;
}

static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
        size_t pos = len ? next() % len : 0;

        switch (next() % 5) {
        case 0:
                if (len)
                        buf[pos] ^= (uint8_t)(1u << (next() % 8));
                return len;
        case 1:
                if (len)
                        buf[pos] = (uint8_t)punct[next() % (sizeof(punct) - 1)];
                return len;
        case 2:
                return pos; /* truncate */
        case 3: {
                size_t n = len - pos < cap - len ? len - pos : cap - len;

                memcpy(buf + len, buf + pos, n); /* duplicate a tail */
                return len + n;
        }
        default:
                if (len)
                        memmove(buf + pos, buf + pos + 1, len - pos - 1);
                return len ? len - 1 : 0;
        }
}

static uint8_t *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf = malloc(1 << 20);

        if (!f || !buf) {
                perror(path);
                exit(2);
        }
        *len = fread(buf, 1, 1 << 20, f);
        fclose(f);
        return buf;
}

int main(int argc, char **argv)
{
        long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
        size_t cap = 1 << 16;
        uint8_t *work = malloc(cap);

        if (!work)
                return 2;
        for (int i = 2; i < argc; i++) {
                size_t len;
                uint8_t *seed = read_file(argv[i], &len);

                if (len > cap / 2)
                        len = cap / 2;
                LLVMFuzzerTestOneInput(seed, len);
                for (long r = 0; r < rounds; r++) {
                        size_t n = len;

                        memcpy(work, seed, len);
                        for (long k = 0, m = 1 + (long)(next() % 4); k < m; k++)
                                n = mutate(work, n, cap);
                        LLVMFuzzerTestOneInput(work, n);
                }
                free(seed);
        }
        free(work);
        printf("fuzz-driver: %d seeds x %ld mutations: 0 failed\n", argc - 2, rounds);
        return 0;
}
