// What the next-item recommenders (SASRec, GRU4Rec) share: a sequence of item indices in, one
// hidden vector per position out, and item scores as dot products with an output item matrix.
//
// Batch layout: items [B,T] int, each row's history left-aligned and padded on the right with -1
// (oldest first). Training adds targets [B,T] (the next item at each position, -1 where there is
// none), negatives [B,T] (one sampled item per position; BCE only) and seed [1] (dropout).
// infer returns scores [B,I] of every item after each row's last position; an empty row scores 0.
//
// Config: items, hidden, dropout, loss (0: binary cross-entropy against the one sampled negative
// per position, as in the SASRec paper; 1: softmax cross-entropy over all items).
#pragma once
#include <ATen/core/Generator.h>

#include "model.h"

namespace r2end {

class SequentialModel : public Model {
 public:
  torch::Tensor infer(const Batch& batch) override;
  torch::Tensor loss(const Batch& batch) override;

 protected:
  explicit SequentialModel(const Config& config);
  // Hidden states [B,T,hidden] for items [B,T] (int64, -1 padding) and mask [B,T] (1 for items).
  virtual torch::Tensor encode(const torch::Tensor& items, const torch::Tensor& mask) = 0;
  // The matrix [I,hidden] that scores hidden states by dot product.
  virtual torch::Tensor outputItems() = 0;
  // Inverted dropout in training only, with masks from this model's own generator: the batch's
  // seed fixes them, so a training run is repeatable (and resumable) whatever else uses torch.
  torch::Tensor dropout(const torch::Tensor& x);

  int64_t items, hidden;
  double dropoutRate;

 private:
  // Runs body(rows, width) for groups of the batch's rows of similar length (row indices, and the
  // longest length among them): each group is cut to its own width. Most histories are short and
  // a few long (Beauty: mean 7, max 50), so padding every row to the longest wastes most of a step.
  static void forLengthGroups(const torch::Tensor& lengths, const std::function<void(const torch::Tensor&, int64_t)>& body);
  static constexpr int64_t kGroupRows = 32;
  // The batch's items as int64 after checking their shape and range.
  torch::Tensor itemsOf(const Batch& batch, const std::string& name, int64_t rows, int64_t cols);
  bool softmaxLoss;
  at::Generator generator;
};

}  // namespace r2end
