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

 private:
  torch::Device device_ = torch::kCPU;
  torch::Dtype dtype_ = torch::kFloat32;
  bool lowPrecision_ = false;
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
