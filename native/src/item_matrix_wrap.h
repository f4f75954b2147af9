// The JavaScript class ItemMatrix: items held in the engine for batched top-K, so a service that
// ranks against the same items on every request copies and prepares them once.
#pragma once
#include <napi.h>

#include "topk.h"

namespace r2end {

class ItemMatrixWrap : public Napi::ObjectWrap<ItemMatrixWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit ItemMatrixWrap(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

 private:
  Napi::Value topK(const Napi::CallbackInfo& info);
  Napi::Value scores(const Napi::CallbackInfo& info);
  std::shared_ptr<ItemMatrix> items_;
  int64_t externalBytes_ = 0;
};

}  // namespace r2end
