#include "marshal.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace r2end {

std::vector<int64_t> shapeFromJs(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), what + ": shape must be an array of integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value dim = array.Get(i);
    if (!dim.IsNumber() || dim.As<Napi::Number>().DoubleValue() < 0)
      throw Napi::TypeError::New(value.Env(), what + ": shape must hold non-negative integers");
    shape.push_back(dim.As<Napi::Number>().Int64Value());
  }
  return shape;
}

torch::Tensor tensorFromJs(const Napi::Value& data, const std::vector<int64_t>& shape, const std::string& what) {
  Napi::Env env = data.Env();
  if (!data.IsTypedArray()) throw Napi::TypeError::New(env, what + ": data must be a typed array");
  auto typed = data.As<Napi::TypedArray>();
  torch::Dtype dtype;
  switch (typed.TypedArrayType()) {
    case napi_float32_array: dtype = torch::kFloat32; break;
    case napi_float64_array: dtype = torch::kFloat64; break;
    case napi_int32_array: dtype = torch::kInt32; break;
    default: throw Napi::TypeError::New(env, what + ": expected a Float32Array, Float64Array or Int32Array");
  }
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  if (count != static_cast<int64_t>(typed.ElementLength()))
    throw Napi::RangeError::New(env, what + ": " + std::to_string(typed.ElementLength()) +
                                         " values do not fill shape " + c10::str(c10::IntArrayRef(shape)));
  auto* base = static_cast<uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
  if (count == 0) return torch::empty(shape, torch::TensorOptions().dtype(dtype));
  return torch::from_blob(base, shape, torch::TensorOptions().dtype(dtype)).clone();
}

torch::Tensor tensorFromJsObject(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), what + ": expected { data, shape }");
  auto object = value.As<Napi::Object>();
  return tensorFromJs(object.Get("data"), shapeFromJs(object.Get("shape"), what), what);
}

Batch batchFromJs(const Napi::Value& value) {
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), "batch: expected an object of tensors");
  auto object = value.As<Napi::Object>();
  Batch batch;
  auto names = object.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    batch[name] = tensorFromJsObject(object.Get(name), "batch." + name);
  }
  return batch;
}

Napi::Object tensorToJs(Napi::Env env, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
  if (t.scalar_type() == torch::kInt64) t = t.to(torch::kInt32);
  if (t.scalar_type() != torch::kFloat64 && t.scalar_type() != torch::kInt32) t = t.to(torch::kFloat32);
  const int64_t count = t.numel();
  Napi::Value data;
  if (t.scalar_type() == torch::kFloat64) {
    auto array = Napi::Float64Array::New(env, count);
    std::memcpy(array.Data(), t.data_ptr<double>(), count * sizeof(double));
    data = array;
  } else if (t.scalar_type() == torch::kInt32) {
    auto array = Napi::Int32Array::New(env, count);
    std::memcpy(array.Data(), t.data_ptr<int32_t>(), count * sizeof(int32_t));
    data = array;
  } else {
    auto array = Napi::Float32Array::New(env, count);
    std::memcpy(array.Data(), t.data_ptr<float>(), count * sizeof(float));
    data = array;
  }
  auto shape = Napi::Array::New(env, t.dim());
  for (int64_t i = 0; i < t.dim(); i++) shape.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(t.size(i))));
  auto result = Napi::Object::New(env);
  result.Set("data", data);
  result.Set("shape", shape);
  return result;
}

std::map<std::string, double> numbersFromJs(const Napi::Value& value, const std::string& what) {
  std::map<std::string, double> numbers;
  if (value.IsUndefined()) return numbers;
  if (!value.IsObject()) throw Napi::TypeError::New(value.Env(), what + ": expected an object of numbers");
  auto object = value.As<Napi::Object>();
  auto names = object.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value v = object.Get(name);
    if (v.IsUndefined()) continue;
    if (!v.IsNumber()) throw Napi::TypeError::New(value.Env(), what + "." + name + ": expected a number");
    numbers[name] = v.As<Napi::Number>().DoubleValue();
  }
  return numbers;
}

double numberOr(const std::map<std::string, double>& numbers, const std::string& key, double fallback) {
  auto it = numbers.find(key);
  return it == numbers.end() ? fallback : it->second;
}

double requireNumber(const std::map<std::string, double>& numbers, const std::string& key) {
  auto it = numbers.find(key);
  if (it == numbers.end()) throw std::invalid_argument("config." + key + " is required");
  return it->second;
}

torch::Device parseDevice(Napi::Env env, const Napi::Value& value) {
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "cpu";
  try {
    torch::Device device(name);
    if (device.is_cuda() && !torch::cuda::is_available())
      throw Napi::Error::New(env, "device '" + name + "' requested but this libtorch build has no usable CUDA");
    return device;
  } catch (const c10::Error&) {
    throw Napi::Error::New(env, "unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
  }
}

std::string errorText(const std::exception& error) {
  if (auto* torchError = dynamic_cast<const c10::Error*>(&error)) return torchError->what_without_backtrace();
  return error.what();
}

namespace {
// The one thread that runs all libtorch work of the process, in submission order. Each call still
// uses every core (intra-op threads); one thread means calls do not oversubscribe the cores, and
// its allocations stay in one malloc arena so freed activations are reused by the next step.
class EngineThread {
 public:
  static EngineThread& instance() {
    static EngineThread* engine = new EngineThread();  // lives until the process exits
    return *engine;
  }

  WorkResult run(const Work& work) {
    std::packaged_task<WorkResult()> task(work);
    auto result = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
    }
    ready_.notify_one();
    return result.get();  // rethrows the work's exception
  }

 private:
  EngineThread() { std::thread([this] { loop(); }).detach(); }

  void loop() {
    for (;;) {
      std::packaged_task<WorkResult()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !queue_.empty(); });
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<WorkResult()>> queue_;
};

// Waits on a libuv worker thread for the engine thread, then settles the promise.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Work work, Finish finish)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), finish_(std::move(finish)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      result_ = EngineThread::instance().run(work_);
    } catch (const std::exception& error) {
      SetError(errorText(error));
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(finish_(Env(), result_));
    } catch (const Napi::Error& error) {
      deferred_.Reject(error.Value());
    }
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  WorkResult result_;
};
}  // namespace

WorkResult runOnEngineThread(const Work& work) { return EngineThread::instance().run(work); }

Napi::Promise runAsync(Napi::Env env, Work work, Finish finish) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(finish));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace r2end
