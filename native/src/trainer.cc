#include "trainer.h"

#include <algorithm>

namespace r2end {

Trainer::Trainer(std::shared_ptr<Model> model, TrainerOptions options) : model_(std::move(model)), options_(options) {
  for (auto& p : model_->parameters(true))
    if (p.requires_grad()) parameters_.push_back(p);
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

}  // namespace r2end
