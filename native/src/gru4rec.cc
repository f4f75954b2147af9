#include "gru4rec.h"

namespace r2end {

Gru4Rec::Gru4Rec(const Config& config) : SequentialModel(config) {
  item_embedding = register_parameter("item_embedding", torch::zeros({items, hidden}));
  gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(hidden, hidden).batch_first(true)));
  output_embedding = register_parameter("output_embedding", torch::zeros({items, hidden}));
}

torch::Tensor Gru4Rec::encode(const torch::Tensor& items, const torch::Tensor&) {
  // Padding follows a row's items, so the recurrence reaches every real position before it.
  auto x = dropout(torch::embedding(item_embedding, items.clamp_min(0)));
  return dropout(std::get<0>(gru(x)));
}

}  // namespace r2end
