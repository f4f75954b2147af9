#include "projection.h"

namespace r2end {

Projection::Projection(const Config& config)
    : inDim(static_cast<int64_t>(requireNumber(config, "inDim"))),
      outDim(static_cast<int64_t>(requireNumber(config, "outDim"))),
      temperature(numberOr(config, "temperature", 0.07)),
      regularization(numberOr(config, "regularization", 0.5)) {
  if (inDim < 1 || outDim < 1) throw std::invalid_argument("config.inDim and config.outDim must be positive");
  if (!(temperature > 0)) throw std::invalid_argument("config.temperature must be positive");
  weight = register_parameter("weight", torch::zeros({outDim, inDim}));
  bias = register_parameter("bias", torch::zeros({outDim}));
}

void Projection::setData(const std::string& name, const torch::Tensor& value) {
  if (name != "items") Model::setData(name, value);
  if (value.dim() != 2 || value.size(1) != inDim)
    throw std::invalid_argument("items have shape " + c10::str(value.sizes()) + ", expected [I, " + std::to_string(inDim) + "]");
  items = value.to(device(), dtype());
}

torch::Tensor Projection::infer(const Batch& batch) {
  auto x = floats(batch, "x");
  expectShape(x, "x", {-1, inDim});
  return project(x);
}

torch::Tensor Projection::loss(const Batch& batch) {
  if (!items.defined()) throw std::invalid_argument("set the item matrix before training the projection");
  auto users = floats(batch, "users");
  auto positives = indices(batch, "positives");
  auto negatives = indices(batch, "negatives");
  expectShape(users, "users", {-1, inDim});
  const int64_t b = users.size(0);
  expectShape(positives, "positives", {b});
  expectShape(negatives, "negatives", {b, -1});
  const int64_t count = items.size(0);
  auto outOfRange = [&](const torch::Tensor& t) { return t.numel() > 0 && (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= count); };
  if (outOfRange(positives) || outOfRange(negatives))
    throw std::invalid_argument("item index out of range [0, " + std::to_string(count) + ")");
  const int64_t n = negatives.size(1);

  auto zu = project(users);                                          // [B,o]
  auto zp = project(items.index_select(0, positives));               // [B,o]
  auto zn = project(items.index_select(0, negatives.reshape({-1})))  // [B*N,o]
                .view({b, n, outDim});
  namespace F = torch::nn::functional;
  auto unit = [](const torch::Tensor& z) { return F::normalize(z, F::NormalizeFuncOptions().dim(-1).eps(1e-12)); };
  auto u = unit(zu);
  auto positive = (u * unit(zp)).sum(-1, true);                         // [B,1]
  auto negative = torch::matmul(unit(zn), u.unsqueeze(-1)).squeeze(-1);  // [B,N]
  // The positive competes with the negatives (standard InfoNCE: it is in the denominator).
  auto logits = torch::cat({positive, negative}, 1) / temperature;
  auto infoNce = -torch::log_softmax(logits, 1).select(1, 0);
  auto norms = zu.norm(2, -1) + zp.norm(2, -1) + (n > 0 ? zn.norm(2, -1).mean(1) : torch::zeros_like(positive.squeeze(1)));
  return (infoNce + regularization * norms).mean();
}

}  // namespace r2end
