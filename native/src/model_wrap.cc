#include "model_wrap.h"

namespace r2end {

namespace {
torch::Dtype parseDtype(Napi::Env env, const Napi::Value& value) {
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "float32";
  if (name == "float32") return torch::kFloat32;
  if (name == "float64") return torch::kFloat64;
  throw Napi::Error::New(env, "unknown dtype '" + name + "' (expected float32 or float64)");
}

bool parseLowPrecision(Napi::Env env, const Napi::Value& value) {
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "float32";
  if (name == "float32") return false;
  if (name == "bfloat16") return true;
  throw Napi::Error::New(env, "unknown precision '" + name + "' (expected float32 or bfloat16)");
}

std::vector<std::string> stringsFromJs(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), what + ": expected an array of strings");
  auto array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t i = 0; i < array.Length(); i++) strings.push_back(array.Get(i).ToString().Utf8Value());
  return strings;
}
}  // namespace

Napi::Function ModelWrap::define(Napi::Env env) {
  return DefineClass(env, "Model",
                     {
                         InstanceMethod("infer", &ModelWrap::infer),
                         InstanceMethod("lossAndGradients", &ModelWrap::lossAndGradients),
                         InstanceMethod("tensors", &ModelWrap::tensors),
                         InstanceMethod("setTensor", &ModelWrap::setTensor),
                         InstanceMethod("parameters", &ModelWrap::parameters),
                         InstanceMethod("setTrainable", &ModelWrap::setTrainable),
                         InstanceMethod("setData", &ModelWrap::setData),
                     });
}

std::shared_ptr<Model> ModelWrap::from(const Napi::Value& value) {
  auto& modelClass = value.Env().GetInstanceData<AddonData>()->modelClass;
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(modelClass.Value()))
    throw Napi::TypeError::New(value.Env(), "expected an engine Model");
  return Unwrap(value.As<Napi::Object>())->model_;
}

// new Model(kind, config, tensors, { device, dtype, precision })
ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "Model: kind must be a string");
  auto options = info[3].IsObject() ? info[3].As<Napi::Object>() : Napi::Object::New(env);
  auto device = parseDevice(env, options.Get("device"));
  auto dtype = parseDtype(env, options.Get("dtype"));
  auto lowPrecision = parseLowPrecision(env, options.Get("precision"));
  auto config = numbersFromJs(info[1], "config");
  auto given = batchFromJs(info[2]);
  guarded(env, [&] {
    model_ = createModel(info[0].As<Napi::String>().Utf8Value(), config);
    std::map<std::string, torch::Tensor> tensors(given.begin(), given.end());
    loadTensors(*model_, tensors);
    model_->placeOn(device, dtype);
    model_->setLowPrecision(lowPrecision);
    model_->eval();
    return 0;
  });
  for (auto& [name, tensor] : namedTensors(*model_)) externalBytes_ += static_cast<int64_t>(tensor.numel() * tensor.element_size());
  Napi::MemoryManagement::AdjustExternalMemory(env, externalBytes_);
}

void ModelWrap::Finalize(Napi::Env env) { Napi::MemoryManagement::AdjustExternalMemory(env, -externalBytes_); }

// infer(batch) -> Promise<{ data, shape }>
Napi::Value ModelWrap::infer(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<Batch>(batchFromJs(info[0]));
  auto model = model_;
  return runAsync(
      info.Env(),
      [model, batch] {
        std::lock_guard<std::mutex> lock(model->mutex);
        torch::InferenceMode inference;
        model->eval();
        torch::Tensor out;
        {
          ComputeScope scope(*model);
          CachedLowPrecisionWeights weights(*model);
          out = model->infer(*batch);
        }
        return WorkResult{{out}};
      },
      [](Napi::Env env, WorkResult& result) -> Napi::Value { return tensorToJs(env, result.tensors[0]); });
}

// lossAndGradients(batch, names) -> Promise<{ loss, gradients: { data, shape }[] }>: the training
// loss and its gradient with respect to the named parameters (for gradient checks).
Napi::Value ModelWrap::lossAndGradients(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<Batch>(batchFromJs(info[0]));
  auto names = stringsFromJs(info[1], "names");
  auto model = model_;
  return runAsync(
      info.Env(),
      [model, batch, names] {
        std::lock_guard<std::mutex> lock(model->mutex);
        auto all = namedTensors(*model);
        std::vector<torch::Tensor> wanted;
        for (auto& name : names) {
          auto it = all.find(name);
          if (it == all.end() || !it->second.requires_grad()) throw std::invalid_argument("no trainable parameter '" + name + "'");
          wanted.push_back(it->second);
        }
        model->train();
        torch::Tensor loss;
        {
          ComputeScope scope(*model);
          loss = model->loss(*batch);
        }
        auto gradients = torch::autograd::grad({loss}, wanted, {}, false, false, true);
        for (size_t i = 0; i < gradients.size(); i++)
          if (!gradients[i].defined()) gradients[i] = torch::zeros_like(wanted[i]);
        WorkResult result{gradients, loss.item<double>()};
        return result;
      },
      [](Napi::Env env, WorkResult& result) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("loss", Napi::Number::New(env, result.number));
        auto gradients = Napi::Array::New(env, result.tensors.size());
        for (size_t i = 0; i < result.tensors.size(); i++) gradients.Set(static_cast<uint32_t>(i), tensorToJs(env, result.tensors[i]));
        out.Set("gradients", gradients);
        return out;
      });
}

// tensors() -> { name: { data, shape } }, copies of every parameter and buffer.
Napi::Value ModelWrap::tensors(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(model_->mutex);
  auto out = Napi::Object::New(info.Env());
  for (auto& [name, tensor] : namedTensors(*model_)) out.Set(name, tensorToJs(info.Env(), tensor));
  return out;
}

// setTensor(name, { data, shape })
Napi::Value ModelWrap::setTensor(const Napi::CallbackInfo& info) {
  std::string name = info[0].ToString().Utf8Value();
  auto value = tensorFromJsObject(info[1], name);
  std::lock_guard<std::mutex> lock(model_->mutex);
  return guarded(info.Env(), [&]() -> Napi::Value {
    auto all = namedTensors(*model_);
    auto it = all.find(name);
    if (it == all.end()) throw std::invalid_argument("no tensor '" + name + "'");
    if (it->second.sizes() != value.sizes())
      throw std::invalid_argument("tensor '" + name + "' has shape " + c10::str(it->second.sizes()) + ", given " + c10::str(value.sizes()));
    torch::NoGradGuard noGrad;
    it->second.copy_(value);
    return info.Env().Undefined();
  });
}

// parameters() -> [{ name, shape, trainable }]
Napi::Value ModelWrap::parameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& item : model_->named_parameters(true)) {
    auto entry = Napi::Object::New(env);
    entry.Set("name", item.key());
    auto shape = Napi::Array::New(env, item.value().dim());
    for (int64_t d = 0; d < item.value().dim(); d++) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(item.value().size(d))));
    entry.Set("shape", shape);
    entry.Set("trainable", Napi::Boolean::New(env, item.value().requires_grad()));
    list.Set(i++, entry);
  }
  return list;
}

// setTrainable(names, flag): freezes or unfreezes parameters (takes effect for trainers made later).
Napi::Value ModelWrap::setTrainable(const Napi::CallbackInfo& info) {
  auto names = stringsFromJs(info[0], "names");
  bool flag = info[1].ToBoolean().Value();
  std::lock_guard<std::mutex> lock(model_->mutex);
  return guarded(info.Env(), [&]() -> Napi::Value {
    std::map<std::string, torch::Tensor> params;
    for (auto& item : model_->named_parameters(true)) params[item.key()] = item.value();
    for (auto& name : names) {
      auto it = params.find(name);
      if (it == params.end()) throw std::invalid_argument("no parameter '" + name + "'");
      it->second.set_requires_grad(flag);
    }
    return info.Env().Undefined();
  });
}

// setData(name, { data, shape }): model-specific auxiliary data (e.g. the projection's items).
Napi::Value ModelWrap::setData(const Napi::CallbackInfo& info) {
  std::string name = info[0].ToString().Utf8Value();
  auto value = tensorFromJsObject(info[1], name);
  std::lock_guard<std::mutex> lock(model_->mutex);
  return guarded(info.Env(), [&]() -> Napi::Value {
    model_->setData(name, value);
    return info.Env().Undefined();
  });
}

}  // namespace r2end
