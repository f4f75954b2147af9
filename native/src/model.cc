#include "model.h"

#include <ATen/autocast_mode.h>

#include "bert.h"
#include "gru4rec.h"
#include "projection.h"
#include "sasrec.h"
#include "use_lite.h"

namespace r2end {

void Model::setData(const std::string& name, const torch::Tensor&) {
  throw std::invalid_argument("this model kind takes no data named '" + name + "'");
}

void Model::placeOn(torch::Device device, torch::Dtype dtype) {
  device_ = device;
  dtype_ = dtype;
  to(device, dtype);
  lowPrecisionCopies_.clear();
}

torch::Tensor Model::lowPrecisionCopy(const torch::Tensor& parameter) {
  auto& [version, copy] = lowPrecisionCopies_[parameter.unsafeGetTensorImpl()];
  if (!copy.defined() || version != parameter._version()) {
    copy = parameter.detach().to(torch::kBFloat16);
    version = parameter._version();
  }
  return copy;
}

CachedLowPrecisionWeights::CachedLowPrecisionWeights(Model& model) {
  if (!model.lowPrecision()) return;
  for (auto& module : model.modules(false)) {
    auto* layer = module->as<torch::nn::Linear>();
    if (!layer) continue;
    swapped_.push_back({layer, layer->weight});
    layer->weight = model.lowPrecisionCopy(layer->weight);
  }
}

CachedLowPrecisionWeights::~CachedLowPrecisionWeights() {
  for (auto& s : swapped_) s.layer->weight = s.weight;
}

void Model::setLowPrecision(bool on) {
  if (on && dtype_ != torch::kFloat32) throw std::invalid_argument("bfloat16 precision needs float32 parameters");
  lowPrecision_ = on;
}

ComputeScope::ComputeScope(const Model& model) : active_(model.lowPrecision()), cuda_(model.device().is_cuda()) {
  if (!active_) return;
  if (cuda_) {
    wasEnabled_ = at::autocast::is_enabled();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    wasEnabled_ = at::autocast::is_cpu_enabled();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

ComputeScope::~ComputeScope() {
  if (!active_) return;
  // The cast weights are cached for the scope; drop them so a training step sees fresh ones.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  if (cuda_)
    at::autocast::set_enabled(wasEnabled_);
  else
    at::autocast::set_cpu_enabled(wasEnabled_);
}

torch::Tensor Model::floats(const Batch& batch, const std::string& name) const {
  return requireField(batch, name).to(device_, dtype_);
}

torch::Tensor Model::indices(const Batch& batch, const std::string& name) const {
  return requireField(batch, name).to(device_, torch::kInt64);
}

std::map<std::string, torch::Tensor> namedTensors(Model& model) {
  std::map<std::string, torch::Tensor> all;
  for (auto& item : model.named_parameters(true)) all[item.key()] = item.value();
  for (auto& item : model.named_buffers(true)) all[item.key()] = item.value();
  return all;
}

void loadTensors(Model& model, const std::map<std::string, torch::Tensor>& tensors) {
  auto expected = namedTensors(model);
  for (auto& [name, value] : tensors)
    if (!expected.count(name)) throw std::invalid_argument("unexpected tensor '" + name + "'");
  torch::NoGradGuard noGrad;
  for (auto& [name, target] : expected) {
    auto it = tensors.find(name);
    if (it == tensors.end()) throw std::invalid_argument("missing tensor '" + name + "'");
    if (it->second.sizes() != target.sizes())
      throw std::invalid_argument("tensor '" + name + "' has shape " + c10::str(it->second.sizes()) + ", expected " +
                                  c10::str(target.sizes()));
    target.copy_(it->second);
  }
}

std::shared_ptr<Model> createModel(const std::string& kind, const Config& config) {
  static const std::map<std::string, Factory> factories = {
      {"use-lite", [](const Config& c) { return std::make_shared<UseLite>(c); }},
      {"bert", [](const Config& c) { return std::make_shared<Bert>(c); }},
      {"projection", [](const Config& c) { return std::make_shared<Projection>(c); }},
      {"sasrec", [](const Config& c) { return std::make_shared<SasRec>(c); }},
      {"gru4rec", [](const Config& c) { return std::make_shared<Gru4Rec>(c); }},
  };
  auto it = factories.find(kind);
  if (it == factories.end()) throw std::invalid_argument("unknown model kind '" + kind + "'");
  return it->second(config);
}

torch::Tensor requireField(const Batch& batch, const std::string& name) {
  auto it = batch.find(name);
  if (it == batch.end()) throw std::invalid_argument("batch." + name + " is required");
  return it->second;
}

void expectShape(const torch::Tensor& t, const std::string& name, std::initializer_list<int64_t> shape) {
  std::vector<int64_t> want(shape);
  bool ok = t.dim() == static_cast<int64_t>(want.size());
  for (size_t i = 0; ok && i < want.size(); i++) ok = want[i] < 0 || t.size(static_cast<int64_t>(i)) == want[i];
  if (!ok) throw std::invalid_argument("batch." + name + " has shape " + c10::str(t.sizes()) + ", expected " + c10::str(want) + " (-1: any)");
}

torch::Tensor maskedMean(const torch::Tensor& hidden, const torch::Tensor& mask, double minCount) {
  auto m = mask.unsqueeze(-1);
  return (hidden * m).sum(1) / m.sum(1).clamp_min(minCount);
}

torch::Tensor lengthMask(const torch::Tensor& lengths, int64_t maxLength, torch::Dtype dtype) {
  auto positions = torch::arange(maxLength, lengths.options());
  return (positions.unsqueeze(0) < lengths.unsqueeze(1)).to(dtype);
}

}  // namespace r2end
