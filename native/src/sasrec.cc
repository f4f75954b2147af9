#include "sasrec.h"

#include <cmath>

namespace r2end {

namespace {
// The official code's LayerNorm epsilon.
torch::nn::LayerNorm layerNorm(int64_t width) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-8)); }
}  // namespace

SasAttentionImpl::SasAttentionImpl(int64_t hidden, int64_t heads) : heads(heads) {
  q = register_module("q", torch::nn::Linear(hidden, hidden));
  k = register_module("k", torch::nn::Linear(hidden, hidden));
  v = register_module("v", torch::nn::Linear(hidden, hidden));
}

torch::Tensor SasAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& bias,
                                        const std::function<torch::Tensor(const torch::Tensor&)>& drop) {
  const int64_t batch = query.size(0), time = query.size(1), width = query.size(2), headDim = width / heads;
  auto split = [&](const torch::Tensor& t) { return t.view({batch, time, heads, headDim}).transpose(1, 2); };  // [B,h,T,d]
  auto scores = torch::matmul(split(q(query)), split(k(keys)).transpose(-1, -2)) / std::sqrt(static_cast<double>(headDim));
  auto weights = drop(torch::softmax(scores.to(bias.scalar_type()) + bias, -1));
  return torch::matmul(weights, split(v(keys))).transpose(1, 2).reshape({batch, time, width});
}

SasBlockImpl::SasBlockImpl(int64_t hidden, int64_t heads) {
  attention_norm = register_module("attention_norm", layerNorm(hidden));
  attention = register_module("attention", SasAttention(hidden, heads));
  ffn_norm = register_module("ffn_norm", layerNorm(hidden));
  fc1 = register_module("fc1", torch::nn::Linear(hidden, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(hidden, hidden));
}

SasRec::SasRec(const Config& config)
    : SequentialModel(config), maxLength(static_cast<int64_t>(numberOr(config, "maxLength", 50))) {
  const auto count = static_cast<int64_t>(numberOr(config, "blocks", 2));
  const auto heads = static_cast<int64_t>(numberOr(config, "heads", 1));
  if (maxLength < 1 || count < 1 || heads < 1) throw std::invalid_argument("config.maxLength, config.blocks and config.heads must be positive");
  if (hidden % heads != 0) throw std::invalid_argument("config.hidden must be a multiple of config.heads");
  item_embedding = register_parameter("item_embedding", torch::zeros({items, hidden}));
  position_embedding = register_parameter("position_embedding", torch::zeros({maxLength, hidden}));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < count; i++) blocks->push_back(SasBlock(hidden, heads));
  final_norm = register_module("final_norm", layerNorm(hidden));
}

torch::Tensor SasRec::encode(const torch::Tensor& items, const torch::Tensor& mask) {
  const int64_t time = items.size(1);
  if (time > maxLength) throw std::invalid_argument("batch.items has " + std::to_string(time) + " columns, more than config.maxLength " + std::to_string(maxLength));
  // Item t of a history of length n sits at position maxLength - n + t (padding: clamped).
  auto lengths = mask.sum(1, true).to(torch::kInt64);                                   // [B,1]
  auto positions = (torch::arange(time, lengths.options()).unsqueeze(0) + maxLength - lengths).clamp(0, maxLength - 1);
  auto x = torch::embedding(item_embedding, items.clamp_min(0)) * std::sqrt(static_cast<double>(hidden)) + torch::embedding(position_embedding, positions);
  x = dropout(x);
  // Causal attention. Padding sits after a row's items, so causality alone keeps it from every
  // real position; what padded positions compute is never read, so nothing needs masking.
  auto bias = (1 - torch::ones({time, time}, mask.options()).tril()) * -1e9;  // [T,T]
  auto drop = [this](const torch::Tensor& t) { return dropout(t); };
  for (auto& module : *blocks) {
    auto block = module->as<SasBlock>();
    auto query = block->attention_norm(x);
    x = query + block->attention(query, x, bias, drop);
    auto normed = block->ffn_norm(x);
    x = normed + dropout(block->fc2(dropout(torch::relu(block->fc1(normed)))));
  }
  return final_norm(x);
}

}  // namespace r2end
