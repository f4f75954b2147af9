// GRU4Rec (Hidasi et al., ICLR 2016), for whole histories rather than sessions: item embedding ->
// dropout -> one GRU layer -> dropout -> hidden state, scored by dot product with a separate
// output item embedding (the original's output layer, without its bias).
#pragma once
#include "sequential.h"

namespace r2end {

class Gru4Rec : public SequentialModel {
 public:
  explicit Gru4Rec(const Config& config);

 protected:
  torch::Tensor encode(const torch::Tensor& items, const torch::Tensor& mask) override;
  torch::Tensor outputItems() override { return output_embedding; }

 private:
  torch::Tensor item_embedding, output_embedding;
  torch::nn::GRU gru{nullptr};
};

}  // namespace r2end
