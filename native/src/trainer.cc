#include "trainer.h"

#include <algorithm>
#include <set>

namespace r2end {

Trainer::Trainer(std::shared_ptr<Model> model, TrainerOptions options) : model_(std::move(model)), options_(options) {
  for (auto& item : model_->named_parameters(true))
    if (item.value().requires_grad()) {
      parameters_.push_back(item.value());
      names_.push_back(item.key());
    }
  if (parameters_.empty()) throw std::invalid_argument("the model has no trainable parameters (all frozen)");
  auto adam = torch::optim::AdamWOptions(options_.learningRate)
                  .betas({options_.beta1, options_.beta2})
                  .eps(options_.epsilon)
                  .weight_decay(options_.weightDecay);
  optimizer_ = std::make_unique<torch::optim::AdamW>(parameters_, adam);
}

double Trainer::learningRate() const {
  const double base = options_.learningRate;
  const int64_t warmup = options_.warmupSteps, total = options_.totalSteps;
  if (warmup > 0 && steps_ < warmup) return base * static_cast<double>(steps_ + 1) / static_cast<double>(warmup);
  if (total <= warmup) return base;
  return base * std::max(0.0, static_cast<double>(total - steps_) / static_cast<double>(total - warmup));
}

double Trainer::step(const Batch& batch) {
  std::lock_guard<std::mutex> lock(model_->mutex);
  model_->train();
  optimizer_->zero_grad();
  torch::Tensor loss;
  {
    ComputeScope scope(*model_);
    loss = model_->loss(batch);
  }
  loss.backward();
  if (options_.maxGradNorm > 0) torch::nn::utils::clip_grad_norm_(parameters_, options_.maxGradNorm);
  const double rate = learningRate();
  for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(rate);
  optimizer_->step();
  steps_++;
  return loss.item<double>();
}

namespace {
// The key under which torch's optimisers keep a parameter's state.
std::string stateKey(const torch::Tensor& parameter) { return c10::guts::to_string(parameter.unsafeGetTensorImpl()); }
}  // namespace

std::map<std::string, torch::Tensor> Trainer::state() {
  std::lock_guard<std::mutex> lock(model_->mutex);
  std::map<std::string, torch::Tensor> out;
  auto& all = optimizer_->state();
  for (size_t i = 0; i < parameters_.size(); i++) {
    auto it = all.find(stateKey(parameters_[i]));
    if (it == all.end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
    out["exp_avg." + names_[i]] = s.exp_avg().detach().clone();
    out["exp_avg_sq." + names_[i]] = s.exp_avg_sq().detach().clone();
    out["step." + names_[i]] = torch::full({1}, static_cast<double>(s.step()), torch::kFloat64);
  }
  return out;
}

void Trainer::setState(int64_t steps, const std::map<std::string, torch::Tensor>& tensors) {
  std::lock_guard<std::mutex> lock(model_->mutex);
  std::set<std::string> unused;
  for (auto& [name, value] : tensors) unused.insert(name);
  std::vector<std::pair<std::string, std::unique_ptr<torch::optim::AdamWParamState>>> restored;
  for (size_t i = 0; i < parameters_.size(); i++) {
    const auto& p = parameters_[i];
    auto find = [&](const std::string& part) -> const torch::Tensor* {
      auto it = tensors.find(part + "." + names_[i]);
      if (it == tensors.end()) return nullptr;
      unused.erase(it->first);
      return &it->second;
    };
    auto avg = find("exp_avg"), sq = find("exp_avg_sq"), step = find("step");
    if (!avg && !sq && !step) continue;  // never stepped
    if (!avg || !sq || !step) throw std::invalid_argument("optimizer state of '" + names_[i] + "' is incomplete");
    if (avg->sizes() != p.sizes() || sq->sizes() != p.sizes() || step->numel() != 1)
      throw std::invalid_argument("optimizer state of '" + names_[i] + "' does not match the parameter's shape " + c10::str(p.sizes()));
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(static_cast<int64_t>(step->to(torch::kFloat64).item<double>()));
    s->exp_avg(avg->to(p.options()).clone());
    s->exp_avg_sq(sq->to(p.options()).clone());
    restored.emplace_back(stateKey(p), std::move(s));
  }
  if (!unused.empty()) throw std::invalid_argument("optimizer state '" + *unused.begin() + "' names no trainable parameter");
  auto& all = optimizer_->state();
  all.clear();
  for (auto& [key, s] : restored) all[key] = std::move(s);
  steps_ = steps;
}

}  // namespace r2end
