// The common shape of every model kind in the engine: a torch module whose parameters and
// buffers carry stable names (the names checkpoints use), an inference output and a training
// loss, both computed from a Batch of named tensors. New kinds (sequence recommenders, ...)
// subclass Model and register a factory in model.cc.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "marshal.h"

namespace r2end {

using Config = std::map<std::string, double>;

class Model : public torch::nn::Module {
 public:
  // The inference output for a batch (embeddings for encoders, projections for heads).
  virtual torch::Tensor infer(const Batch& batch) = 0;
  // The scalar training loss for a batch; gradients flow into the parameters.
  virtual torch::Tensor loss(const Batch& batch) = 0;
  // Model-specific auxiliary data that is neither trained nor saved (e.g. an item matrix).
  virtual void setData(const std::string& name, const torch::Tensor& value);

  torch::Device device() const { return device_; }
  torch::Dtype dtype() const { return dtype_; }
  void placeOn(torch::Device device, torch::Dtype dtype);
  // Compute precision of forward passes: float32, or bfloat16 matrix products (autocast) with
  // float32 parameters, sums and gradients. bfloat16 needs float32 parameters.
  bool lowPrecision() const { return lowPrecision_; }
  void setLowPrecision(bool on);
  // A batch tensor moved to the model's device, as floating point of the model's dtype.
  torch::Tensor floats(const Batch& batch, const std::string& name) const;
  // A batch tensor moved to the model's device, as int64 indices.
  torch::Tensor indices(const Batch& batch, const std::string& name) const;

  // Serialises calls on one model: an encode must not interleave with a training step.
  std::mutex mutex;

  // A bfloat16 copy of a float32 parameter, made again only once the parameter has changed (its
  // version counter moves on every in-place update: optimiser steps, loads).
  torch::Tensor lowPrecisionCopy(const torch::Tensor& parameter);

 private:
  torch::Device device_ = torch::kCPU;
  torch::Dtype dtype_ = torch::kFloat32;
  bool lowPrecision_ = false;
  std::map<const void*, std::pair<int64_t, torch::Tensor>> lowPrecisionCopies_;
};

// While alive, forward computations on this thread run in the model's compute precision
// (autocast state is per thread, so every async work item opens its own scope).
class ComputeScope {
 public:
  explicit ComputeScope(const Model& model);
  ~ComputeScope();
  ComputeScope(const ComputeScope&) = delete;
  ComputeScope& operator=(const ComputeScope&) = delete;

 private:
  bool active_ = false, cuda_ = false, wasEnabled_ = false;
};

// While alive (inference only, in a ComputeScope), a low-precision model's Linear layers compute
// with cached bfloat16 copies of their weights. Autocast casts exactly these weights to bfloat16
// for every linear anyway (biases stay float32), so the results are bit-identical (tested); it
// would do so again on every call (a noticeable part of a one-text encode), the cache does it
// once per weight update.
class CachedLowPrecisionWeights {
 public:
  explicit CachedLowPrecisionWeights(Model& model);
  ~CachedLowPrecisionWeights();
  CachedLowPrecisionWeights(const CachedLowPrecisionWeights&) = delete;
  CachedLowPrecisionWeights& operator=(const CachedLowPrecisionWeights&) = delete;

 private:
  struct Swapped {
    torch::nn::LinearImpl* layer;
    torch::Tensor weight;
  };
  std::vector<Swapped> swapped_;
};

// Every parameter and buffer by its dotted name.
std::map<std::string, torch::Tensor> namedTensors(Model& model);
// Copies the given tensors into the model; every parameter and buffer must be given exactly once
// with its expected shape, and no unknown name may appear.
void loadTensors(Model& model, const std::map<std::string, torch::Tensor>& tensors);

using Factory = std::function<std::shared_ptr<Model>(const Config&)>;
std::shared_ptr<Model> createModel(const std::string& kind, const Config& config);

// Shapes checks with messages that name the batch field.
torch::Tensor requireField(const Batch& batch, const std::string& name);
void expectShape(const torch::Tensor& t, const std::string& name, std::initializer_list<int64_t> shape);

// Masked mean over the time axis: hidden [B,T,D], mask [B,T] (1 for real tokens).
torch::Tensor maskedMean(const torch::Tensor& hidden, const torch::Tensor& mask, double minCount);
// Token mask [B,T] from lengths [B].
torch::Tensor lengthMask(const torch::Tensor& lengths, int64_t maxLength, torch::Dtype dtype);

}  // namespace r2end
