/* Average pooling and zero padding against hand-computed values, on both
 * CPU backends: TF's 'same' average counts only a window's real cells, a
 * global average is the mean of the image, padding puts zeros around and its
 * backward pass crops; bad geometries are refused. */
#include "cpu_ops_common.h"

static void check_values(gt_backend *be)
{
    /* 3x3 of ones, 2x2 windows stride 2 'same': pad bottom/right 1; every
     * window averages its real cells, so every output is 1 (counting the
     * padding would give 0.5 and 0.25 at the border) */
    gt_pool_geom g = pool_geom(1, 3, 3, 1, 2, 2, 1);
    CHECK(g.out_h == 2 && g.out_w == 2 && g.pad_top == 0);
    float ones[9], y[4];
    for (int i = 0; i < 9; ++i)
        ones[i] = 1.0f;
    CHECK_OK(be->avgpool_forward(be, &g, y, ones));
    for (int i = 0; i < 4; ++i)
        CHECK_MSG(y[i] == 1.0f, "%s: same window %d averages %g", be->name, i, (double)y[i]);
    /* its gradient: dy / cells of the window each cell lies in */
    float dy[4] = {4.0f, 2.0f, 2.0f, 1.0f}, dx[9];
    CHECK_OK(be->avgpool_backward(be, &g, dx, dy));
    for (int i = 0; i < 9; ++i)
        CHECK_MSG(dx[i] == 1.0f, "%s: dx[%d] = %g, want 1", be->name, i, (double)dx[i]);

    /* global average over 2x3, two channels */
    float x[12] = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60}, m[2];
    gt_pool_geom gl = pool_geom(1, 2, 3, 2, 1, 1, 0);
    gl.k_h = 2;
    gl.k_w = 3;
    gl.out_h = gl.out_w = 1;
    CHECK_OK(be->avgpool_forward(be, &gl, m, x));
    CHECK(m[0] == 3.5f && m[1] == 35.0f);

    /* padding 1 top, 0 bottom, 2 left, 1 right around a 1x2 image */
    gt_pad_geom z = {1, 1, 2, 1, 1, 0, 2, 1};
    float img[2] = {7.0f, 8.0f}, out[10], want[10] = {0, 0, 0, 0, 0, 0, 0, 7, 8, 0};
    CHECK_OK(be->pad2d_forward(be, &z, out, img));
    CHECK_CLOSE("pad2d", out, want, 10, 0.0);
    float back[2];
    CHECK_OK(be->pad2d_backward(be, &z, back, want));
    CHECK(back[0] == 7.0f && back[1] == 8.0f);

    gt_pad_geom bad = {1, 1, 2, 1, -1, 0, 0, 0};
    CHECK_FAILS_WITH(be->pad2d_forward(be, &bad, out, img), GT_ERR_SHAPE, "padding top -1");
    gt_pool_geom empty = g;
    empty.pad_top = 2; /* a window of padding only */
    CHECK_FAILS_WITH(be->avgpool_forward(be, &empty, y, ones), GT_ERR_SHAPE, "avgpool_forward");
}

int main(void)
{
    gt_backend *ref = make_backend("cpu-reference", 1), *fast = make_backend("cpu", 2);
    check_values(ref);
    check_values(fast);
    gt_backend_destroy(ref);
    gt_backend_destroy(fast);
    TEST_EXIT();
}
