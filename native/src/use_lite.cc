#include "use_lite.h"

#include <cmath>

namespace r2end {

namespace {
constexpr int64_t kVocab = 8002, kEmbed = 256, kWidth = 512, kInner = 1536, kHeads = 4, kTimescales = 128;
constexpr double kLayerNormEps = 1e-6;

torch::nn::LayerNorm layerNorm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(kLayerNormEps));
}
}  // namespace

UseAttentionImpl::UseAttentionImpl(int64_t in, int64_t width, int64_t heads) : width(width), heads(heads) {
  qkv = register_module("qkv", torch::nn::Linear(in, 3 * in));
  output = register_module("output", torch::nn::Linear(in, width));
}

torch::Tensor UseAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& keyBias) {
  const int64_t batch = x.size(0), time = x.size(1), in = x.size(2), headDim = in / heads;
  auto parts = qkv(x).view({batch, time, 3, heads, headDim}).permute({2, 0, 3, 1, 4});  // [3,B,H,T,dh]
  auto q = parts[0] * (1.0 / std::sqrt(static_cast<double>(headDim)));
  auto scores = torch::matmul(q, parts[1].transpose(-1, -2)) + keyBias;  // keyBias [B,1,1,T]
  auto context = torch::matmul(torch::softmax(scores, -1), parts[2]);    // [B,H,T,dh]
  return output(context.transpose(1, 2).reshape({batch, time, in}));
}

UseFeedForwardImpl::UseFeedForwardImpl(int64_t width, int64_t inner) {
  fc1 = register_module("fc1", torch::nn::Linear(width, inner));
  fc2 = register_module("fc2", torch::nn::Linear(inner, width));
}

UseLayerImpl::UseLayerImpl(int64_t in, int64_t width, int64_t heads, int64_t inner) {
  attention_norm = register_module("attention_norm", layerNorm(in));
  attention = register_module("attention", UseAttention(in, width, heads));
  if (in != width) residual = register_module("residual", torch::nn::Linear(in, width));
  ffn_norm = register_module("ffn_norm", layerNorm(width));
  ffn = register_module("ffn", UseFeedForward(width, inner));
}

torch::Tensor UseLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& keyBias) {
  auto m = mask.unsqueeze(-1);
  // The widening layer's residual is a projection of the un-normalised input, masked.
  auto skip = residual ? residual(x) * m : x;
  auto y = attention(attention_norm(x), keyBias) + skip;
  return y + ffn(ffn_norm(y)) * m;
}

UseLite::UseLite(const Config&) {
  embeddings = register_module("embeddings", torch::nn::Embedding(kVocab, kEmbed));
  timing_frequencies = register_buffer("timing_frequencies", torch::zeros({kTimescales}));
  layers = register_module("layers", torch::nn::ModuleList());
  layers->push_back(UseLayer(kEmbed, kWidth, kHeads, kInner));
  layers->push_back(UseLayer(kWidth, kWidth, kHeads, kInner));
  head = register_module("head", torch::nn::Linear(kWidth, kWidth));
}

torch::Tensor UseLite::embed(const torch::Tensor& ids, const torch::Tensor& mask) {
  const int64_t time = ids.size(1);
  auto positions = torch::arange(time, mask.options()).unsqueeze(1) * timing_frequencies.unsqueeze(0);  // [T,128]
  auto timing = torch::cat({torch::sin(positions), torch::cos(positions)}, 1);                         // [T,256]
  auto x = embeddings(ids);
  // The graph adds the embeddings to (embeddings + signal): the embedding counts twice.
  auto h = (2 * x + timing.unsqueeze(0)) * mask.unsqueeze(-1);
  auto keyBias = ((1 - mask) * -1e9).view({ids.size(0), 1, 1, time});
  for (auto& layer : *layers) h = layer->as<UseLayer>()->forward(h, mask, keyBias);
  auto pooled = maskedMean(h, mask, 1.0);
  // The head's product may have run in bfloat16; the norm is taken in the parameters' precision.
  auto v = torch::tanh(head(pooled).to(pooled.scalar_type()));
  return v / v.pow(2).sum(-1, true).clamp_min(1e-12).sqrt();
}

}  // namespace r2end
