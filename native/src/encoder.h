// Text encoders: token ids [B,T] (padded) and lengths [B] in, one vector per row out.
// Training distils onto given target vectors with a mean squared error.
#pragma once
#include "model.h"

namespace r2end {

class Encoder : public Model {
 public:
  // ids [B,T] int64 and mask [B,T] of the model's dtype (1 for real tokens), on the model's device.
  virtual torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& mask) = 0;

  torch::Tensor infer(const Batch& batch) override {
    auto [ids, mask] = tokens(batch);
    return embed(ids, mask);
  }

  // batch.targets [B,D]: mean over all elements of (embedding - target)^2.
  torch::Tensor loss(const Batch& batch) override {
    auto [ids, mask] = tokens(batch);
    auto targets = floats(batch, "targets");
    auto output = embed(ids, mask);
    if (targets.sizes() != output.sizes())
      throw std::invalid_argument("batch.targets has shape " + c10::str(targets.sizes()) + ", expected " + c10::str(output.sizes()));
    return torch::mse_loss(output, targets);
  }

 private:
  std::pair<torch::Tensor, torch::Tensor> tokens(const Batch& batch) const {
    auto ids = indices(batch, "ids");
    auto lengths = indices(batch, "lengths");
    expectShape(ids, "ids", {-1, -1});
    expectShape(lengths, "lengths", {ids.size(0)});
    if (lengths.numel() > 0 && lengths.max().item<int64_t>() > ids.size(1))
      throw std::invalid_argument("batch.lengths exceed the padded length of batch.ids");
    return {ids, lengthMask(lengths, ids.size(1), dtype())};
  }
};

}  // namespace r2end
