// The JavaScript class Trainer: new Trainer(model, options); step(batch) -> Promise<loss>.
#pragma once
#include <napi.h>

#include "trainer.h"

namespace r2end {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value step(const Napi::CallbackInfo& info);
  Napi::Value learningRate(const Napi::CallbackInfo& info);
  Napi::Value steps(const Napi::CallbackInfo& info);
  Napi::Value state(const Napi::CallbackInfo& info);
  Napi::Value setState(const Napi::CallbackInfo& info);
  std::shared_ptr<Trainer> trainer_;
};

}  // namespace r2end
