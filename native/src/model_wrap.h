// The JavaScript class Model: one engine model of any kind, its tensors, inference and gradients.
#pragma once
#include <napi.h>

#include "model.h"

namespace r2end {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // The engine model behind a JavaScript Model object (throws a TypeError for anything else).
  static std::shared_ptr<Model> from(const Napi::Value& value);
  explicit ModelWrap(const Napi::CallbackInfo& info);
  // Tells V8 how much native memory the model holds, so garbage collection frees unused models.
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value infer(const Napi::CallbackInfo& info);
  Napi::Value lossAndGradients(const Napi::CallbackInfo& info);
  Napi::Value tensors(const Napi::CallbackInfo& info);
  Napi::Value setTensor(const Napi::CallbackInfo& info);
  Napi::Value parameters(const Napi::CallbackInfo& info);
  Napi::Value setTrainable(const Napi::CallbackInfo& info);
  Napi::Value setData(const Napi::CallbackInfo& info);
  std::shared_ptr<Model> model_;
  int64_t externalBytes_ = 0;
};

// Per-environment state of the addon (so it also loads in worker threads).
struct AddonData {
  Napi::FunctionReference modelClass;
};

}  // namespace r2end
