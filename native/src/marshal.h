// Conversions between JavaScript values and torch tensors, and the async-work helper that runs
// long numeric calls on the libuv thread pool and settles a promise with the result.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace r2end {

// Named tensors handed over by JavaScript as { name: { data: TypedArray, shape: number[] } }.
using Batch = std::map<std::string, torch::Tensor>;

// A copy of a Float32Array / Float64Array / Int32Array as a CPU tensor of the given shape.
torch::Tensor tensorFromJs(const Napi::Value& data, const std::vector<int64_t>& shape, const std::string& what);
std::vector<int64_t> shapeFromJs(const Napi::Value& value, const std::string& what);
// Reads { data, shape } into a tensor.
torch::Tensor tensorFromJsObject(const Napi::Value& value, const std::string& what);
Batch batchFromJs(const Napi::Value& value);
// { data: TypedArray, shape } for a float32/float64/int32/int64 tensor (int64 becomes Int32Array).
Napi::Object tensorToJs(Napi::Env env, const torch::Tensor& tensor);
// Every own property of a plain object of numbers (model configuration, optimiser options).
std::map<std::string, double> numbersFromJs(const Napi::Value& value, const std::string& what);
double numberOr(const std::map<std::string, double>& numbers, const std::string& key, double fallback);
double requireNumber(const std::map<std::string, double>& numbers, const std::string& key);

// A device name ("cpu", "cuda", "cuda:N"; undefined means cpu), checked against this build.
torch::Device parseDevice(Napi::Env env, const Napi::Value& value);

// The message of a torch or standard exception, without libtorch's C++ backtrace.
std::string errorText(const std::exception& error);
// Runs body and converts torch/std exceptions into JavaScript errors (for synchronous methods).
template <typename F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Napi::Error::New(env, errorText(error));
  }
}

struct WorkResult {
  std::vector<torch::Tensor> tensors;
  double number = 0;
};
using Work = std::function<WorkResult()>;
using Finish = std::function<Napi::Value(Napi::Env, WorkResult&)>;
// Runs work on the engine thread, off the event loop; finish converts its result on the main thread.
Napi::Promise runAsync(Napi::Env env, Work work, Finish finish);
// Runs work on the engine thread and waits for it (for settings that belong to that thread).
WorkResult runOnEngineThread(const Work& work);

}  // namespace r2end
