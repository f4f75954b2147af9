// The R2END projection head f: Linear d -> out, shared by users and items (paper section 3.4).
// Training: InfoNCE over cosine / temperature with sampled negatives, plus the norm regulariser
// L_reg = lambda (||z_u|| + ||z_i+|| + mean_j ||z_j||) (eq. 7-9). The item matrix lives in the
// engine (setData("items", [I,d])) so a step only ships user vectors and indices.
#pragma once
#include "model.h"

namespace r2end {

// Config: inDim, outDim, temperature, regularization (lambda).
class Projection : public Model {
 public:
  explicit Projection(const Config& config);
  // batch.x [n,inDim] -> [n,outDim]
  torch::Tensor infer(const Batch& batch) override;
  // batch.users [B,inDim], batch.positives [B], batch.negatives [B,N] (item indices).
  torch::Tensor loss(const Batch& batch) override;
  void setData(const std::string& name, const torch::Tensor& value) override;

 private:
  torch::Tensor project(const torch::Tensor& x) { return torch::nn::functional::linear(x, weight, bias); }
  int64_t inDim, outDim;
  double temperature, regularization;
  torch::Tensor weight, bias, items;
};

}  // namespace r2end
