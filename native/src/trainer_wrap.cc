#include "trainer_wrap.h"

#include "model_wrap.h"

namespace r2end {

Napi::Function TrainerWrap::define(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {
                         InstanceMethod("step", &TrainerWrap::step),
                         InstanceAccessor("learningRate", &TrainerWrap::learningRate, nullptr),
                         InstanceAccessor("steps", &TrainerWrap::steps, nullptr),
                         InstanceMethod("state", &TrainerWrap::state),
                         InstanceMethod("setState", &TrainerWrap::setState),
                     });
}

// new Trainer(model, { learningRate, weightDecay, beta1, beta2, epsilon, warmupSteps, totalSteps, maxGradNorm })
TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  auto model = ModelWrap::from(info[0]);
  auto numbers = numbersFromJs(info[1], "trainer options");
  TrainerOptions options;
  options.learningRate = numberOr(numbers, "learningRate", options.learningRate);
  options.weightDecay = numberOr(numbers, "weightDecay", options.weightDecay);
  options.beta1 = numberOr(numbers, "beta1", options.beta1);
  options.beta2 = numberOr(numbers, "beta2", options.beta2);
  options.epsilon = numberOr(numbers, "epsilon", options.epsilon);
  options.warmupSteps = static_cast<int64_t>(numberOr(numbers, "warmupSteps", 0));
  options.totalSteps = static_cast<int64_t>(numberOr(numbers, "totalSteps", 0));
  options.maxGradNorm = numberOr(numbers, "maxGradNorm", options.maxGradNorm);
  guarded(info.Env(), [&] {
    trainer_ = std::make_shared<Trainer>(model, options);
    return 0;
  });
}

Napi::Value TrainerWrap::step(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<Batch>(batchFromJs(info[0]));
  auto trainer = trainer_;
  return runAsync(
      info.Env(), [trainer, batch] { return WorkResult{{}, trainer->step(*batch)}; },
      [](Napi::Env env, WorkResult& result) -> Napi::Value { return Napi::Number::New(env, result.number); });
}

Napi::Value TrainerWrap::learningRate(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), trainer_->learningRate()); }
Napi::Value TrainerWrap::steps(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(trainer_->steps())); }

// state() -> { steps, tensors: { name: { data, shape } } }: the optimiser state for checkpoints.
Napi::Value TrainerWrap::state(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  auto tensors = Napi::Object::New(env);
  for (auto& [name, tensor] : trainer_->state()) tensors.Set(name, tensorToJs(env, tensor));
  out.Set("steps", Napi::Number::New(env, static_cast<double>(trainer_->steps())));
  out.Set("tensors", tensors);
  return out;
}

// setState({ steps, tensors }): restores what state() returned.
Napi::Value TrainerWrap::setState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "setState: expected { steps, tensors }");
  auto given = info[0].As<Napi::Object>();
  const auto steps = given.Get("steps").ToNumber().Int64Value();
  auto tensors = batchFromJs(given.Get("tensors"));
  return guarded(env, [&]() -> Napi::Value {
    trainer_->setState(steps, tensors);
    return env.Undefined();
  });
}

}  // namespace r2end
