// AdamW over a model's trainable parameters (those with requires_grad when the trainer is made),
// with a linear warm-up then linear decay of the learning rate and gradient-norm clipping.
#pragma once
#include "model.h"

namespace r2end {

struct TrainerOptions {
  double learningRate = 1e-5;
  double weightDecay = 0.01;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  int64_t warmupSteps = 0;
  int64_t totalSteps = 0;  // 0: no decay after warm-up
  double maxGradNorm = 1.0;  // <= 0: no clipping
};

class Trainer {
 public:
  Trainer(std::shared_ptr<Model> model, TrainerOptions options);
  // One optimisation step on a batch; returns the loss before the update.
  double step(const Batch& batch);
  // The learning rate the next step will use.
  double learningRate() const;
  int64_t steps() const { return steps_; }
  // What AdamW carries between steps, by parameter name: exp_avg.NAME, exp_avg_sq.NAME and
  // step.NAME (one element), for parameters stepped at least once. Checkpoints that hold it
  // resume a run exactly where it stopped.
  std::map<std::string, torch::Tensor> state();
  // Restores what state() returned, and the step count that drives the learning-rate schedule.
  void setState(int64_t steps, const std::map<std::string, torch::Tensor>& tensors);

 private:
  std::shared_ptr<Model> model_;
  TrainerOptions options_;
  std::vector<torch::Tensor> parameters_;
  std::vector<std::string> names_;  // of parameters_
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t steps_ = 0;
};

}  // namespace r2end
