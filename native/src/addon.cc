// Entry point of the r2end numeric engine: the Model, Trainer and ItemMatrix classes, matmulBenchmark
// and build facts. Threads default to the machine's core count (libtorch inside Node uses one).
#include <napi.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "marshal.h"
#include "model_wrap.h"
#include "item_matrix_wrap.h"
#include "trainer_wrap.h"

namespace r2end {
namespace {

void setEngineThreads(int threads);

// matmulBenchmark(n, repeats, { device }) -> Promise<flops per second> of an n x n x n float32 GEMM.
Napi::Value MatmulBenchmarkJs(const Napi::CallbackInfo& info) {
  const int64_t n = info[0].ToNumber().Int64Value();
  const int64_t repeats = info[1].ToNumber().Int64Value();
  auto device = parseDevice(info.Env(), info[2].IsObject() ? info[2].As<Napi::Object>().Get("device") : info.Env().Undefined());
  return runAsync(
      info.Env(),
      [=] {
        torch::InferenceMode inference;
        auto a = torch::randn({n, n}, torch::TensorOptions().device(device));
        auto b = torch::randn({n, n}, torch::TensorOptions().device(device));
        auto c = torch::matmul(a, b);  // warm-up
        auto start = std::chrono::steady_clock::now();
        for (int64_t i = 0; i < repeats; i++) c = torch::matmul(a, b);
        c.sum().item<float>();  // waits for asynchronous devices
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return WorkResult{{}, 2.0 * n * n * n * repeats / seconds};
      },
      [](Napi::Env env, WorkResult& result) -> Napi::Value { return Napi::Number::New(env, result.number); });
}

Napi::Value SetThreadsJs(const Napi::CallbackInfo& info) {
  const int threads = info[0].ToNumber().Int32Value();
  if (threads < 1) throw Napi::RangeError::New(info.Env(), "threads must be at least 1");
  setEngineThreads(threads);
  return info.Env().Undefined();
}

Napi::Value InfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("torchVersion", TORCH_VERSION);
  out.Set("threads", runOnEngineThread([] { return WorkResult{{}, static_cast<double>(torch::get_num_threads())}; }).number);
  out.Set("cuda", torch::cuda::is_available());
  out.Set("cudaDevices", static_cast<double>(torch::cuda::device_count()));
  return out;
}

// Training allocates and frees hundreds of MB of activations per step. With glibc's defaults large
// blocks are mmapped and unmapped every step, so their pages are faulted in again and again
// (a large share of a training step's CPU time; bench/README.md). Blocks up to 32 MB now stay in
// the heap for reuse; the price is that freed memory stays with the process.
void tuneAllocator() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

// Intra-op threads are a setting of the thread that runs torch work: the engine thread.
void setEngineThreads(int threads) {
  runOnEngineThread([threads] {
    torch::set_num_threads(threads);
    return WorkResult{};
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneAllocator();
  const unsigned cores = std::thread::hardware_concurrency();
  setEngineThreads(cores > 0 ? static_cast<int>(cores) : 1);
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function modelClass = ModelWrap::define(env);
  data->modelClass = Napi::Persistent(modelClass);
  exports.Set("Model", modelClass);
  exports.Set("Trainer", TrainerWrap::define(env));
  exports.Set("ItemMatrix", ItemMatrixWrap::define(env));
  exports.Set("matmulBenchmark", Napi::Function::New(env, MatmulBenchmarkJs));
  exports.Set("setThreads", Napi::Function::New(env, SetThreadsJs));
  exports.Set("info", Napi::Function::New(env, InfoJs));
  return exports;
}

}  // namespace
}  // namespace r2end

static Napi::Object InitEngine(Napi::Env env, Napi::Object exports) { return r2end::Init(env, exports); }
NODE_API_MODULE(r2end_engine, InitEngine)
