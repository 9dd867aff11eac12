// Max-pooling, row normalization, lambda scaling and head means, against hand-derived matrices. Test thread.
#include <catch2/catch.hpp>

#include "map_transforms.h"

using namespace diffscope;
using namespace diffscope::ui;

static Matrix make(int64_t rows, int64_t cols, std::vector<float> v) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.values = std::move(v);
  return m;
}

TEST_CASE("pool factor brings the larger side under the limit") {
  CHECK(pool_factor(100, 100, 100) == 1);
  CHECK(pool_factor(101, 10, 100) == 2);
  CHECK(pool_factor(5, 5, 2) == 3);
  CHECK(pool_factor(40000, 40000, 16384) == 3);
}

TEST_CASE("max-pooling keeps a spike that mean-pooling would dilute") {
  // 5 x 5 causal map, limit 2 -> factor 3 -> 2 x 2 blocks: rows/cols {0,1,2} and {3,4}.
  const Matrix m = make(5, 5, {
      1.0f, 0,    0,    0,    0,
      0.5f, 0.5f, 0,    0,    0,
      0.1f, 0.8f, 0.1f, 0,    0,
      0.2f, 0.1f, 0.1f, 0.6f, 0,
      0.1f, 0.1f, 0.1f, 0.1f, 0.6f});
  const PooledMap p = pool_max(m, 2, false);
  REQUIRE(p.factor == 3);
  REQUIRE(p.values.rows == 2);
  REQUIRE(p.values.cols == 2);
  CHECK(p.values.at(0, 0) == 1.0f);
  CHECK(p.values.at(0, 1) == 0.0f);
  CHECK(p.values.at(1, 0) == 0.2f);
  CHECK(p.values.at(1, 1) == 0.6f);
}

TEST_CASE("signed pooling keeps the entry of largest magnitude with its sign") {
  const Matrix m = make(2, 2, {0.5f, -0.9f, 0.3f, 0.1f});
  const PooledMap p = pool_max(m, 1, true);
  REQUIRE(p.values.values.size() == 1);
  CHECK(p.values.at(0, 0) == -0.9f);
  // Unsigned pooling of the same block takes the largest value.
  CHECK(pool_max(m, 1, false).values.at(0, 0) == 0.5f);
}

TEST_CASE("a map that fits is not pooled") {
  const Matrix m = make(2, 2, {1, 0, 0.5f, 0.5f});
  const PooledMap p = pool_max(m, 16384, false);
  CHECK(p.factor == 1);
  CHECK(p.values.values == m.values);
}

TEST_CASE("row normalization divides each row by its largest magnitude") {
  const Matrix m = make(3, 3, {1, 0, 0, 0.25f, 0.5f, 0, 0, 0, 0});
  const Matrix n = row_normalized(m);
  CHECK(n.at(0, 0) == 1.0f);
  CHECK(n.at(1, 0) == 0.5f);
  CHECK(n.at(1, 1) == 1.0f);
  CHECK(n.at(2, 2) == 0.0f);  // an all-zero row stays zero
  const Matrix s = row_normalized(make(1, 2, {0.2f, -0.4f}));
  CHECK(s.at(0, 0) == 0.5f);
  CHECK(s.at(0, 1) == -1.0f);
}

TEST_CASE("lambda scales each query row") {
  const Matrix a2 = make(2, 2, {1, 0, 0.5f, 0.5f});
  const float lambda[2] = {0.2f, 0.8f};
  const Matrix s = scale_rows(a2, lambda, 2);
  CHECK(s.at(0, 0) == Approx(0.2f));
  CHECK(s.at(1, 0) == Approx(0.4f));
  CHECK(s.at(1, 1) == Approx(0.4f));
}

TEST_CASE("head mean averages the captured maps") {
  const std::vector<Matrix> maps = {make(1, 2, {1, 0}), Matrix{}, make(1, 2, {0, 1})};
  const Matrix m = head_mean(maps);
  REQUIRE(m.values.size() == 2);
  CHECK(m.at(0, 0) == 0.5f);
  CHECK(m.at(0, 1) == 0.5f);
  CHECK(head_mean({}).empty());
}

TEST_CASE("pyramid level: blocks at least a pixel wide, within the levels there are", "[pool]") {
  CHECK(pyramid_level(0.5, 5) == 0);   // cells larger than pixels
  CHECK(pyramid_level(1.0, 5) == 0);
  CHECK(pyramid_level(1.01, 5) == 1);  // a little over a texel per pixel: 2 x 2 blocks, none skipped
  CHECK(pyramid_level(2.0, 5) == 1);
  CHECK(pyramid_level(6.0, 5) == 3);   // 8 >= 6
  CHECK(pyramid_level(6.0, 2) == 1);   // only levels 0 and 1 exist
  CHECK(pyramid_level(1e9, 1) == 0);
}

TEST_CASE("pooling by a given factor keeps the largest entry of each block (signed: largest |value|)", "[pool]") {
  const Matrix m{3, 3, {0.1f, 0.9f, 0.2f,
                        0.3f, -0.95f, 0.0f,
                        0.0f, 0.4f, 0.5f}};
  const PooledMap unsigned_pool = pool_by(m, 2, false);
  CHECK(unsigned_pool.values.rows == 2);
  CHECK(unsigned_pool.values.values == std::vector<float>{0.9f, 0.2f, 0.4f, 0.5f});
  const PooledMap signed_pool = pool_by(m, 2, true);
  CHECK(signed_pool.values.values == std::vector<float>{-0.95f, 0.2f, 0.4f, 0.5f});
  CHECK(pool_by(m, 1, true).values.values == m.values);
}
