#include "projection.h"

#include <limits>

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
  // Negatives are per user [B,N], or one set shared by the whole batch [1,N]: the shared form
  // projects N items instead of B*N, which makes a step on a large catalogue ~B times cheaper.
  expectShape(negatives, "negatives", {-1, -1});
  const bool shared = negatives.size(0) == 1 && b > 1;
  if (!shared && negatives.size(0) != b)
    throw std::invalid_argument("batch.negatives has " + std::to_string(negatives.size(0)) + " rows, expected " + std::to_string(b) + " (per user) or 1 (shared)");
  const int64_t count = items.size(0);
  auto outOfRange = [&](const torch::Tensor& t) { return t.numel() > 0 && (t.min().item<int64_t>() < 0 || t.max().item<int64_t>() >= count); };
  if (outOfRange(positives) || outOfRange(negatives))
    throw std::invalid_argument("item index out of range [0, " + std::to_string(count) + ")");
  const int64_t n = negatives.size(1);

  namespace F = torch::nn::functional;
  auto unit = [](const torch::Tensor& z) { return F::normalize(z, F::NormalizeFuncOptions().dim(-1).eps(1e-12)); };
  auto zu = project(users);                             // [B,o]
  auto zp = project(items.index_select(0, positives));  // [B,o]
  auto zn = project(items.index_select(0, negatives.reshape({-1})));  // [B*N,o] or [N,o]
  auto u = unit(zu);
  auto positive = (u * unit(zp)).sum(-1, true);  // [B,1]
  torch::Tensor negative, negativeNorms;
  if (shared) {
    negative = torch::matmul(u, unit(zn).t());  // [B,N]
    // A shared negative that is a user's own positive is no negative for that user.
    negative = negative.masked_fill(negatives.view({1, n}) == positives.view({b, 1}), -std::numeric_limits<double>::infinity());
    negativeNorms = (n > 0 ? zn.norm(2, -1).mean() : torch::zeros({}, zu.options())).expand({b});
  } else {
    auto znb = zn.view({b, n, outDim});
    negative = torch::matmul(unit(znb), u.unsqueeze(-1)).squeeze(-1);  // [B,N]
    negativeNorms = n > 0 ? znb.norm(2, -1).mean(1) : torch::zeros({b}, zu.options());
  }
  // The positive competes with the negatives (standard InfoNCE: it is in the denominator).
  auto logits = torch::cat({positive, negative}, 1) / temperature;
  auto infoNce = -torch::log_softmax(logits, 1).select(1, 0);
  auto norms = zu.norm(2, -1) + zp.norm(2, -1) + negativeNorms;
  return (infoNce + regularization * norms).mean();
}

}  // namespace r2end
