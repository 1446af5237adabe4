/* test_sweep.c - the sweep's grid: axes and ranges, the cell order (last axis fastest), the
 * canonical key (the same cell whatever the axis order; another cell or another fixed option
 * another key), a cell's argv, bad grids refused; and ns_dist_share's blocks tile [0, n). */
#include "check.h"
#include "sim/sweep/sweep.h"
#include <string.h>

static int parse(sweep_grid *g, const char *spec, char **fixed, int n_fixed)
{
    ns_err e = {0};
    memset(g, 0, sizeof *g);
    g->command = "diagnose";
    g->fixed = fixed;
    g->n_fixed = n_fixed;
    return sweep_grid_parse(g, spec, &e);
}

static void test_cells(void)
{
    char *fixed[] = {"--d", "16"};
    sweep_grid g, h;
    CHECK(parse(&g, "arch=gpt2,llama # two families\nseed=1..3", fixed, 2) == NS_OK, "parse");
    CHECK(g.n_axes == 2 && g.n_cells == 6, "axes %d cells %ld", g.n_axes, g.n_cells);
    CHECK(strcmp(sweep_cell_value(&g, 4, 0), "llama") == 0 && strcmp(sweep_cell_value(&g, 4, 1), "2") == 0,
          "cell 4 = llama, seed 2");
    char *k4 = sweep_cell_key(&g, 4), *k5 = sweep_cell_key(&g, 5);
    CHECK(strcmp(k4, "diagnose arch=llama seed=2 -- --d 16") == 0, "key: %s", k4);
    CHECK(strcmp(k4, k5) != 0, "cells 4 and 5 share a key");
    CHECK(parse(&h, "seed=1..3 arch=gpt2,llama", fixed, 2) == NS_OK, "parse reordered");
    char *kh = sweep_cell_key(&h, 1 * 2 + 1); /* seed 2, llama */
    CHECK(strcmp(k4, kh) == 0, "reordered axes: %s vs %s", k4, kh);
    char **argv = sweep_cell_argv(&g, 4, "/bin/normsim");
    const char *want[] = {"/bin/normsim", "diagnose", "--d", "16", "--arch", "llama", "--seed", "2",
                          "--format", "json", NULL};
    int same = 1;
    for (int i = 0; want[i] || argv[i]; i++)
        same &= want[i] && argv[i] && strcmp(want[i], argv[i]) == 0;
    CHECK(same, "argv of cell 4");
    free(argv);
    free(k4);
    free(k5);
    free(kh);
    char *other[] = {"--d", "32"};
    sweep_grid_free(&h);
    CHECK(parse(&h, "arch=gpt2,llama seed=1..3", other, 2) == NS_OK, "parse, other fixed");
    k4 = sweep_cell_key(&g, 4);
    kh = sweep_cell_key(&h, 4);
    CHECK(strcmp(k4, kh) != 0, "another fixed option, the same key");
    free(k4);
    free(kh);
    sweep_grid_free(&g);
    sweep_grid_free(&h);
}

static void test_bad(void)
{
    const char *bad[] = {"", "seed", "=1", "seed=", "seed=1,,2", "seed=1 seed=2", "format=csv",
                         "9x=1", "seed=5..1", NULL};
    char *fixed[] = {"--seed", "1"};
    for (int i = 0; bad[i]; i++) {
        sweep_grid g;
        CHECK(parse(&g, bad[i], NULL, 0) == NS_EUSAGE, "'%s' accepted", bad[i]);
        sweep_grid_free(&g);
    }
    sweep_grid g;
    CHECK(parse(&g, "seed=1,2", fixed, 2) == NS_EUSAGE, "an axis that is also fixed accepted");
    sweep_grid_free(&g);
    CHECK(parse(&g, "norm=groupnorm:4,layernorm tag=a..b", NULL, 0) == NS_OK && g.axes[1].n == 1 &&
          strcmp(g.axes[1].vals[0], "a..b") == 0, "a non-integer a..b is a plain value");
    sweep_grid_free(&g);
}

static void test_share(void)
{
    for (int k = 1; k <= 7; k++) {
        unsigned long long next = 0, n = 1000003;
        int tiles = 1;
        for (int r = 0; r < k; r++) {
            ns_dist d = {.rank = r, .size = k};
            unsigned long long b, e;
            ns_dist_share(&d, n, &b, &e);
            tiles &= b == next && e >= b && e - b <= n / k + 1;
            next = e;
        }
        CHECK(tiles && next == n, "K = %d: the shares do not tile [0, n)", k);
    }
}

int main(void)
{
    test_cells();
    test_bad();
    test_share();
    return check_summary("sweep");
}
