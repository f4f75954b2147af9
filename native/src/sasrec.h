// SASRec (Kang & McAuley, ICDM 2018), as in the authors' TensorFlow code: item embeddings scaled
// by sqrt(hidden) plus learned positional embeddings, dropout, then blocks of causal
// self-attention and a point-wise feed-forward net, each reading a LayerNorm of its input (pre-LN;
// the residual adds that normalised input, as the official code does), a final LayerNorm, and the
// item embedding matrix again as the output layer.
//
// Config (besides SequentialModel's): blocks, heads, maxLength. Positions count back from a
// history's last item, which gets position maxLength - 1, exactly like the official code's
// left-padded window; histories longer than maxLength must be cut by the caller.
#pragma once
#include "sequential.h"

namespace r2end {

// Multi-head attention of the official code: Q from the normalised input, K and V from the raw
// input, no output projection.
struct SasAttentionImpl : torch::nn::Module {
  SasAttentionImpl(int64_t hidden, int64_t heads);
  // query, keys [B,T,H]; bias [T,T] (0 or a large negative); drop: attention-weight dropout.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& bias,
                        const std::function<torch::Tensor(const torch::Tensor&)>& drop);
  int64_t heads;
  torch::nn::Linear q{nullptr}, k{nullptr}, v{nullptr};
};
TORCH_MODULE(SasAttention);

struct SasBlockImpl : torch::nn::Module {
  SasBlockImpl(int64_t hidden, int64_t heads);
  torch::nn::LayerNorm attention_norm{nullptr}, ffn_norm{nullptr};
  SasAttention attention{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SasBlock);

class SasRec : public SequentialModel {
 public:
  explicit SasRec(const Config& config);

 protected:
  torch::Tensor encode(const torch::Tensor& items, const torch::Tensor& mask) override;
  torch::Tensor outputItems() override { return item_embedding; }

 private:
  int64_t maxLength;
  torch::Tensor item_embedding, position_embedding;
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm final_norm{nullptr};
};

}  // namespace r2end
