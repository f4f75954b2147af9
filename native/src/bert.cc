#include "bert.h"

#include <cmath>

namespace r2end {

namespace {
torch::nn::LayerNorm layerNorm(int64_t width, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(eps));
}
int64_t positive(const Config& config, const std::string& key) {
  double v = requireNumber(config, key);
  if (v < 1 || v != std::floor(v)) throw std::invalid_argument("config." + key + " must be a positive integer");
  return static_cast<int64_t>(v);
}
}  // namespace

BertEmbeddingsImpl::BertEmbeddingsImpl(int64_t vocab, int64_t hidden, int64_t positions, int64_t types, double eps) {
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(vocab, hidden));
  position_embeddings = register_module("position_embeddings", torch::nn::Embedding(positions, hidden));
  token_type_embeddings = register_module("token_type_embeddings", torch::nn::Embedding(types, hidden));
  LayerNorm = register_module("LayerNorm", layerNorm(hidden, eps));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids) {
  const int64_t time = ids.size(1);
  if (time > position_embeddings->weight.size(0))
    throw std::invalid_argument("sequence of " + std::to_string(time) + " tokens exceeds max_position_embeddings " +
                                std::to_string(position_embeddings->weight.size(0)));
  auto positions = torch::arange(time, ids.options());
  // Single-segment input: token type 0 everywhere.
  return LayerNorm(word_embeddings(ids) + position_embeddings(positions).unsqueeze(0) + token_type_embeddings->weight[0]);
}

BertSelfAttentionImpl::BertSelfAttentionImpl(int64_t hidden, int64_t heads) : heads(heads) {
  if (hidden % heads != 0) throw std::invalid_argument("config.hiddenSize must be a multiple of config.numHeads");
  query = register_module("query", torch::nn::Linear(hidden, hidden));
  key = register_module("key", torch::nn::Linear(hidden, hidden));
  value = register_module("value", torch::nn::Linear(hidden, hidden));
}

std::pair<torch::Tensor, torch::Tensor> BertSelfAttentionImpl::packed() const {
  return {torch::cat({query->weight, key->weight, value->weight}), torch::cat({query->bias, key->bias, value->bias})};
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias) {
  const int64_t batch = x.size(0), time = x.size(1), hidden = x.size(2), headDim = hidden / heads;
  auto [weight, bias] = packed();
  auto qkv = torch::nn::functional::linear(x, weight, bias).view({batch, time, 3, heads, headDim}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(headDim)));
  auto scores = torch::matmul(q, qkv[1].transpose(-1, -2)) + keyBias;
  auto context = torch::matmul(torch::softmax(scores, -1), qkv[2]);
  return context.transpose(1, 2).reshape({batch, time, hidden});
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in, int64_t hidden, double eps) {
  dense = register_module("dense", torch::nn::Linear(in, hidden));
  LayerNorm = register_module("LayerNorm", layerNorm(hidden, eps));
}

BertAttentionImpl::BertAttentionImpl(int64_t hidden, int64_t heads, double eps) {
  self = register_module("self", BertSelfAttention(hidden, heads));
  output = register_module("output", BertResidualOutput(hidden, hidden, eps));
}

BertIntermediateImpl::BertIntermediateImpl(int64_t hidden, int64_t inner, bool tanhGelu) : tanhGelu(tanhGelu) {
  dense = register_module("dense", torch::nn::Linear(hidden, inner));
}

torch::Tensor BertIntermediateImpl::forward(const torch::Tensor& x) {
  return torch::gelu(dense(x), tanhGelu ? "tanh" : "none");
}

BertLayerImpl::BertLayerImpl(int64_t hidden, int64_t heads, int64_t inner, double eps, bool tanhGelu) {
  attention = register_module("attention", BertAttention(hidden, heads, eps));
  intermediate = register_module("intermediate", BertIntermediate(hidden, inner, tanhGelu));
  output = register_module("output", BertResidualOutput(inner, hidden, eps));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias) {
  auto a = attention(x, keyBias);
  return output(intermediate(a), a);
}


Bert::Bert(const Config& config) {
  const int64_t hidden = positive(config, "hiddenSize");
  const double eps = numberOr(config, "layerNormEps", 1e-12);
  const bool tanhGelu = numberOr(config, "tanhGelu", 0) != 0;
  clsPooling = numberOr(config, "pooling", 0) == 1;
  normalize = numberOr(config, "normalize", 0) != 0;
  embeddings = register_module("embeddings", BertEmbeddings(positive(config, "vocabSize"), hidden, positive(config, "maxPositions"),
                                                            positive(config, "typeVocabSize"), eps));
  encoder = register_module("encoder", BertEncoder());
  const int64_t layers = positive(config, "numLayers"), heads = positive(config, "numHeads"), inner = positive(config, "intermediateSize");
  for (int64_t i = 0; i < layers; i++) encoder->layer->push_back(BertLayer(hidden, heads, inner, eps, tanhGelu));
}

torch::Tensor Bert::embed(const torch::Tensor& ids, const torch::Tensor& mask) {
  auto h = embeddings(ids);
  // The most negative finite value, as Hugging Face does, so masked keys get zero weight.
  const double minValue = dtype() == torch::kFloat64 ? std::numeric_limits<double>::lowest() : std::numeric_limits<float>::lowest();
  auto keyBias = ((1 - mask) * minValue).view({ids.size(0), 1, 1, ids.size(1)});
  for (auto& layer : *encoder->layer) h = layer->as<BertLayer>()->forward(h, keyBias);
  return pool(h, mask);
}

torch::Tensor Bert::pool(const torch::Tensor& h, const torch::Tensor& mask) const {
  auto pooled = clsPooling ? h.select(1, 0) : maskedMean(h, mask, 1e-9);
  return normalize ? torch::nn::functional::normalize(pooled, torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1).eps(1e-12))
                   : pooled;
}

}  // namespace r2end
