// BERT-family sentence encoders (all-MiniLM, bge, e5, gte, mxbai): the Hugging Face BertModel
// architecture with parameter names exactly as in its state dict, plus sentence-transformers
// pooling (mean or CLS) and optional L2 normalisation. No dropout: training is deterministic.
#pragma once
#include "encoder.h"

namespace r2end {

struct BertEmbeddingsImpl : torch::nn::Module {
  BertEmbeddingsImpl(int64_t vocab, int64_t hidden, int64_t positions, int64_t types, double eps);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  BertSelfAttentionImpl(int64_t hidden, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
  // The three projections as one [3h,h] weight and [3h] bias: one GEMM instead of three.
  std::pair<torch::Tensor, torch::Tensor> packed() const;
  int64_t heads;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
};
TORCH_MODULE(BertSelfAttention);

// A dense layer, then LayerNorm of (output + residual): BertSelfOutput and BertOutput.
struct BertResidualOutputImpl : torch::nn::Module {
  BertResidualOutputImpl(int64_t in, int64_t hidden, double eps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual) { return LayerNorm(dense(x) + residual); }
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
};
TORCH_MODULE(BertResidualOutput);

struct BertAttentionImpl : torch::nn::Module {
  BertAttentionImpl(int64_t hidden, int64_t heads, double eps);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias) { return output(self(x, keyBias), x); }
  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  BertIntermediateImpl(int64_t hidden, int64_t inner, bool tanhGelu);
  torch::Tensor forward(const torch::Tensor& x);
  bool tanhGelu;
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  BertLayerImpl(int64_t hidden, int64_t heads, int64_t inner, double eps, bool tanhGelu);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyBias);
  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEncoderImpl : torch::nn::Module {
  BertEncoderImpl() { layer = register_module("layer", torch::nn::ModuleList()); }
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(BertEncoder);

// Config (numbers): vocabSize, hiddenSize, numLayers, numHeads, intermediateSize,
// maxPositions, typeVocabSize, layerNormEps, tanhGelu (0|1), pooling (0 mean, 1 cls), normalize (0|1).
class Bert : public Encoder {
 public:
  explicit Bert(const Config& config);
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& mask) override;

 private:
  torch::Tensor pool(const torch::Tensor& hidden, const torch::Tensor& mask) const;
  bool clsPooling, normalize;
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
};

}  // namespace r2end
