// Batched top-K of many queries against an item matrix, by dot product (cosine: rows are
// L2-normalised first), with a per-query exclusion list. Ties: equal scores rank the lower item
// index first. Excluded items never appear; when fewer than k remain, the tail is index -1.
#pragma once
#include <torch/torch.h>

#include <mutex>

namespace r2end {

struct TopK {
  torch::Tensor indices;  // [Q,k] int32
  torch::Tensor scores;   // [Q,k] float32 (-inf where index is -1)
};

// An item matrix [I,d] prepared once for many top-K calls: moved to its device, L2-normalised
// for cosine, transposed to [d,I] so that a call is one GEMM. Preparation happens on first use
// (on the engine thread, off the event loop); the raw copy is then released.
class ItemMatrix {
 public:
  ItemMatrix(torch::Tensor items, bool cosine, torch::Device device);
  int64_t bytes() const { return count_ * dim_ * static_cast<int64_t>(sizeof(float)); }
  // queries [Q,d]; offsets [Q+1] and excluded (CSR: query q excludes
  // excluded[offsets[q] .. offsets[q+1]) ).
  TopK topK(const torch::Tensor& queries, int64_t k, const torch::Tensor& offsets, const torch::Tensor& excluded);
  // Every item's score for each query: [Q,I] float32 (the same products topK ranks).
  torch::Tensor scores(const torch::Tensor& queries);

 private:
  const torch::Tensor& prepared();
  void checkQueries(const torch::Tensor& queries) const;
  torch::Tensor raw_, prepared_;
  std::mutex mutex_;
  int64_t count_, dim_;
  bool cosine_;
  torch::Device device_;
};

}  // namespace r2end
