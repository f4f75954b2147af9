#include "item_matrix_wrap.h"

#include "marshal.h"

namespace r2end {

Napi::Function ItemMatrixWrap::define(Napi::Env env) {
  return DefineClass(env, "ItemMatrix", {InstanceMethod("topK", &ItemMatrixWrap::topK), InstanceMethod("scores", &ItemMatrixWrap::scores)});
}

// new ItemMatrix(items {data,shape}, { metric: 'cosine' | 'dot', device })
ItemMatrixWrap::ItemMatrixWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ItemMatrixWrap>(info) {
  Napi::Env env = info.Env();
  auto items = tensorFromJsObject(info[0], "items");
  auto options = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
  Napi::Value metricValue = options.Get("metric");
  const std::string metric = metricValue.IsString() ? metricValue.As<Napi::String>().Utf8Value() : "cosine";
  if (metric != "cosine" && metric != "dot") throw Napi::Error::New(env, "ItemMatrix: metric must be cosine or dot");
  auto device = parseDevice(env, options.Get("device"));
  items_ = guarded(env, [&] { return std::make_shared<ItemMatrix>(items, metric == "cosine", device); });
  externalBytes_ = items_->bytes();
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

void ItemMatrixWrap::Finalize(Napi::Env env) { Napi::MemoryManagement::AdjustExternalMemory(env, -externalBytes_); }

// topK(queries {data,shape}, k, exclusions {offsets, indices})
//   -> Promise<{ indices: {data,shape}, scores: {data,shape} }>
Napi::Value ItemMatrixWrap::topK(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto queries = std::make_shared<torch::Tensor>(tensorFromJsObject(info[0], "queries"));
  const int64_t k = info[1].ToNumber().Int64Value();
  if (!info[2].IsObject()) throw Napi::TypeError::New(env, "topK: exclusions must be { offsets, indices }");
  auto exclusions = info[2].As<Napi::Object>();
  auto offsets = std::make_shared<torch::Tensor>(tensorFromJsObject(exclusions.Get("offsets"), "exclusions.offsets"));
  auto excluded = std::make_shared<torch::Tensor>(tensorFromJsObject(exclusions.Get("indices"), "exclusions.indices"));
  auto items = items_;
  return runAsync(
      env,
      [=] {
        auto result = items->topK(*queries, k, *offsets, *excluded);
        return WorkResult{{result.indices, result.scores}};
      },
      [](Napi::Env env, WorkResult& result) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("indices", tensorToJs(env, result.tensors[0]));
        out.Set("scores", tensorToJs(env, result.tensors[1]));
        return out;
      });
}

// scores(queries {data,shape}) -> Promise<{data,shape}> [Q,I]
Napi::Value ItemMatrixWrap::scores(const Napi::CallbackInfo& info) {
  auto queries = std::make_shared<torch::Tensor>(tensorFromJsObject(info[0], "queries"));
  auto items = items_;
  return runAsync(
      info.Env(), [=] { return WorkResult{{items->scores(*queries)}}; },
      [](Napi::Env env, WorkResult& result) -> Napi::Value { return tensorToJs(env, result.tensors[0]); });
}

}  // namespace r2end
