// Batched top-K of many queries against an item matrix, by dot product (cosine: rows are
// L2-normalised first), with a per-query exclusion list. Ties: equal scores rank the lower item
// index first. Excluded items never appear; when fewer than k remain, the tail is index -1.
#pragma once
#include <torch/torch.h>

namespace r2end {

struct TopK {
  torch::Tensor indices;  // [Q,k] int32
  torch::Tensor scores;   // [Q,k] float32 (-inf where index is -1)
};

// queries [Q,d], items [I,d]; offsets [Q+1] and excluded (CSR: query q excludes
// excluded[offsets[q] .. offsets[q+1]) ).
TopK topK(const torch::Tensor& queries, const torch::Tensor& items, int64_t k, const torch::Tensor& offsets,
          const torch::Tensor& excluded, bool cosine, torch::Device device);

}  // namespace r2end
