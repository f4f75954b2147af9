#include "sequential.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/impl/LocalDispatchKeySet.h>

#include <algorithm>

namespace r2end {

SequentialModel::SequentialModel(const Config& config)
    : items(static_cast<int64_t>(requireNumber(config, "items"))),
      hidden(static_cast<int64_t>(requireNumber(config, "hidden"))),
      dropoutRate(numberOr(config, "dropout", 0)),
      softmaxLoss(numberOr(config, "loss", 0) == 1),
      generator(at::make_generator<at::CPUGeneratorImpl>(0)) {
  if (items < 1 || hidden < 1) throw std::invalid_argument("config.items and config.hidden must be positive");
  if (!(dropoutRate >= 0 && dropoutRate < 1)) throw std::invalid_argument("config.dropout must be in [0, 1)");
  const double loss = numberOr(config, "loss", 0);
  if (loss != 0 && loss != 1) throw std::invalid_argument("config.loss must be 0 (bce) or 1 (ce)");
}

torch::Tensor SequentialModel::dropout(const torch::Tensor& x) {
  if (!is_training() || dropoutRate == 0) return x;
  // Drawn on the CPU so the masks are the same on every device.
  auto keep = torch::empty(x.sizes(), torch::kFloat32).bernoulli_(1 - dropoutRate, generator);
  return x * keep.to(x.device(), x.scalar_type()) / (1 - dropoutRate);
}

torch::Tensor SequentialModel::itemsOf(const Batch& batch, const std::string& name, int64_t rows, int64_t cols) {
  auto t = indices(batch, name);
  expectShape(t, name, {rows, cols});
  if (t.numel() > 0 && (t.min().item<int64_t>() < -1 || t.max().item<int64_t>() >= items))
    throw std::invalid_argument("batch." + name + " holds an item outside [0, " + std::to_string(items) + ") that is not the padding -1");
  return t;
}

void SequentialModel::forLengthGroups(const torch::Tensor& lengths, const std::function<void(const torch::Tensor&, int64_t)>& body) {
  auto order = std::get<1>(lengths.sort(true, 0, false));
  for (int64_t s = 0; s < order.size(0); s += kGroupRows) {
    auto rows = order.slice(0, s, s + kGroupRows);
    body(rows, std::max<int64_t>(1, lengths.index_select(0, rows).max().item<int64_t>()));
  }
}

torch::Tensor SequentialModel::infer(const Batch& batch) {
  auto x = itemsOf(batch, "items", -1, -1);
  if (x.size(1) == 0) throw std::invalid_argument("batch.items needs at least one column");
  auto present = x >= 0;
  // Padding only on the right: the last item of a row is then at its length - 1.
  if (x.size(1) > 1 && (present.slice(1, 1) > present.slice(1, 0, -1)).any().item<bool>())
    throw std::invalid_argument("batch.items: each row's items must come first, then the padding -1");
  auto lengths = present.sum(1);
  auto state = torch::zeros({x.size(0), hidden}, torch::TensorOptions().device(device()).dtype(dtype()));
  forLengthGroups(lengths, [&](const torch::Tensor& rows, int64_t width) {
    auto xs = x.index_select(0, rows).slice(1, 0, width);
    auto n = lengths.index_select(0, rows);
    auto states = encode(xs, (xs >= 0).to(dtype()));  // [g,width,H]
    auto last = states.gather(1, (n - 1).clamp_min(0).view({-1, 1, 1}).expand({-1, 1, hidden})).squeeze(1).to(dtype());
    state.index_copy_(0, rows, last * (n > 0).unsqueeze(1).to(dtype()));
  });
  // Scores in the parameters' precision even under bfloat16 autocast: rounded to bfloat16's 8
  // bits, thousands of items would tie and full-ranking metrics would drop.
  c10::impl::ExcludeDispatchKeyGuard exact(c10::autocast_dispatch_keyset);
  return torch::matmul(state, outputItems().t());
}

torch::Tensor SequentialModel::loss(const Batch& batch) {
  auto x = itemsOf(batch, "items", -1, -1);
  auto targets = itemsOf(batch, "targets", x.size(0), x.size(1));
  if (((targets >= 0) & (x < 0)).any().item<bool>()) throw std::invalid_argument("batch.targets: a target needs an item at its position");
  torch::Tensor negatives;
  if (!softmaxLoss) {
    negatives = itemsOf(batch, "negatives", x.size(0), x.size(1));
    if (((targets >= 0) & (negatives < 0)).any().item<bool>()) throw std::invalid_argument("batch.negatives needs an item wherever batch.targets has one");
  }
  auto seed = batch.find("seed");
  if (seed != batch.end()) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_current_seed(static_cast<uint64_t>(seed->second.to(torch::kInt64).reshape(-1)[0].item<int64_t>()));
  }
  // The hidden states at every position with a target, with its target (and negative).
  std::vector<torch::Tensor> stateParts, positiveParts, negativeParts;
  forLengthGroups((x >= 0).sum(1), [&](const torch::Tensor& rows, int64_t width) {
    auto cut = [&](const torch::Tensor& t) { return t.index_select(0, rows).slice(1, 0, width); };
    auto xs = cut(x);
    auto ts = cut(targets).reshape(-1);
    auto where = (ts >= 0).nonzero().squeeze(1);
    stateParts.push_back(encode(xs, (xs >= 0).to(dtype())).reshape({-1, hidden}).index_select(0, where));
    positiveParts.push_back(ts.index_select(0, where));
    if (!softmaxLoss) negativeParts.push_back(cut(negatives).reshape(-1).index_select(0, where));
  });
  auto states = torch::cat(stateParts);  // [N,H]
  if (states.size(0) == 0) throw std::invalid_argument("batch.targets holds no target");
  auto positives = torch::cat(positiveParts);
  auto output = outputItems();
  namespace F = torch::nn::functional;
  if (softmaxLoss) {
    // In chunks of about 16 MB of logits: larger blocks are mmapped afresh on every step (see
    // tuneAllocator in addon.cc), and faulting their pages in costs far more than the arithmetic
    // (bench/README.md).
    const int64_t rows = std::max<int64_t>(1, (int64_t{1} << 22) / items), n = states.size(0);
    auto sum = F::CrossEntropyFuncOptions().reduction(torch::kSum);
    torch::Tensor total;
    for (int64_t s = 0; s < n; s += rows) {
      auto part = F::cross_entropy(torch::matmul(states.slice(0, s, s + rows), output.t()).to(dtype()), positives.slice(0, s, s + rows), sum);
      total = total.defined() ? total + part : part;
    }
    return total / static_cast<double>(n);
  }
  // -log sigmoid(positive) - log(1 - sigmoid(negative)), averaged over the positions with a target.
  auto positive = (states * output.index_select(0, positives)).sum(-1).to(dtype());
  auto negative = (states * output.index_select(0, torch::cat(negativeParts))).sum(-1).to(dtype());
  return (F::softplus(-positive) + F::softplus(negative)).mean();
}

}  // namespace r2end
