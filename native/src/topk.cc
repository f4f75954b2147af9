#include "topk.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <limits>

namespace r2end {

namespace {
struct Candidate {
  float score;
  int32_t index;
};
// "a ranks before b": higher score, then lower index.
inline bool before(const Candidate& a, const Candidate& b) { return a.score > b.score || (a.score == b.score && a.index < b.index); }

// Selects the k best of one row of scores (excluded entries already set to -inf).
void selectRow(const float* row, int64_t count, int64_t k, int32_t* outIndex, float* outScore, std::vector<Candidate>& heap) {
  heap.clear();
  // A heap whose front is the worst kept candidate. Items arrive in increasing index order, so a
  // newcomer with a score equal to the worst kept one ranks after it and is skipped.
  for (int64_t j = 0; j < count; j++) {
    const float s = row[j];
    if (!(s > -std::numeric_limits<float>::infinity())) continue;  // excluded (or NaN)
    if (static_cast<int64_t>(heap.size()) < k) {
      heap.push_back({s, static_cast<int32_t>(j)});
      std::push_heap(heap.begin(), heap.end(), before);
    } else if (s > heap.front().score) {
      std::pop_heap(heap.begin(), heap.end(), before);
      heap.back() = {s, static_cast<int32_t>(j)};
      std::push_heap(heap.begin(), heap.end(), before);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), before);
  for (int64_t i = 0; i < k; i++) {
    const bool filled = i < static_cast<int64_t>(heap.size());
    outIndex[i] = filled ? heap[i].index : -1;
    outScore[i] = filled ? heap[i].score : -std::numeric_limits<float>::infinity();
  }
}
}  // namespace

ItemMatrix::ItemMatrix(torch::Tensor items, bool cosine, torch::Device device)
    : raw_(std::move(items)), cosine_(cosine), device_(device) {
  if (raw_.dim() != 2) throw std::invalid_argument("items must be a matrix [I,d]; got " + c10::str(raw_.sizes()));
  count_ = raw_.size(0);
  dim_ = raw_.size(1);
}

namespace {
torch::Tensor normalizedIf(const torch::Tensor& t, bool cosine, torch::Device device) {
  namespace F = torch::nn::functional;
  auto x = t.to(device, torch::kFloat32);
  return cosine ? F::normalize(x, F::NormalizeFuncOptions().dim(1).eps(1e-12)) : x;
}
}  // namespace

const torch::Tensor& ItemMatrix::prepared() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!prepared_.defined()) {
    torch::InferenceMode inference;
    prepared_ = normalizedIf(raw_, cosine_, device_).t().contiguous();  // [d,I]
    raw_ = torch::Tensor();
  }
  return prepared_;
}

void ItemMatrix::checkQueries(const torch::Tensor& queries) const {
  if (queries.dim() != 2 || queries.size(1) != dim_)
    throw std::invalid_argument("queries [Q,d] and items [I,d] must share d; got " + c10::str(queries.sizes()) + " and [" +
                                std::to_string(count_) + ", " + std::to_string(dim_) + "]");
}

torch::Tensor ItemMatrix::scores(const torch::Tensor& queries) {
  checkQueries(queries);
  const auto& itemMatrix = prepared();
  torch::InferenceMode inference;
  return torch::mm(normalizedIf(queries, cosine_, device_), itemMatrix).to(torch::kCPU).contiguous();
}

TopK ItemMatrix::topK(const torch::Tensor& queries, int64_t k, const torch::Tensor& offsets, const torch::Tensor& excluded) {
  checkQueries(queries);
  if (k < 1) throw std::invalid_argument("k must be at least 1");
  const int64_t q = queries.size(0), count = count_;
  if (offsets.numel() != q + 1) throw std::invalid_argument("exclusion offsets must have Q+1 entries");
  auto off = offsets.to(torch::kInt64).contiguous();
  auto exc = excluded.to(torch::kInt64).contiguous();
  const int64_t* offPtr = off.data_ptr<int64_t>();
  const int64_t* excPtr = exc.data_ptr<int64_t>();
  for (int64_t i = 0; i < q; i++)
    if (offPtr[i] > offPtr[i + 1] || offPtr[i] < 0 || offPtr[i + 1] > exc.numel())
      throw std::invalid_argument("exclusion offsets must be non-decreasing and within the excluded list");
  if (exc.numel() > 0 && (exc.min().item<int64_t>() < 0 || exc.max().item<int64_t>() >= count))
    throw std::invalid_argument("excluded item index out of range [0, " + std::to_string(count) + ")");

  const auto& itemMatrix = prepared();
  torch::InferenceMode inference;
  auto queryMatrix = normalizedIf(queries, cosine_, device_);
  TopK result{torch::empty({q, k}, torch::kInt32), torch::empty({q, k}, torch::kFloat32)};
  int32_t* outIndex = result.indices.data_ptr<int32_t>();
  float* outScore = result.scores.data_ptr<float>();

  // Chunks of queries bound the score matrix to about 64 MB; on the CPU one buffer serves every
  // chunk, so the pages are faulted in once.
  const int64_t chunk = std::max<int64_t>(1, (16 << 20) / std::max<int64_t>(count, 1));
  auto buffer = torch::empty({std::min(chunk, q), count}, torch::kFloat32);
  for (int64_t start = 0; start < q; start += chunk) {
    const int64_t rows = std::min(chunk, q - start);
    auto queryChunk = queryMatrix.narrow(0, start, rows);
    auto scores = buffer.narrow(0, 0, rows);
    if (device_.is_cpu())
      torch::mm_out(scores, queryChunk, itemMatrix);
    else
      scores.copy_(torch::mm(queryChunk, itemMatrix));
    float* base = scores.data_ptr<float>();
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      std::vector<Candidate> heap;
      heap.reserve(k);
      for (int64_t r = begin; r < end; r++) {
        float* row = base + r * count;
        const int64_t query = start + r;
        for (int64_t e = offPtr[query]; e < offPtr[query + 1]; e++) row[excPtr[e]] = -std::numeric_limits<float>::infinity();
        selectRow(row, count, k, outIndex + query * k, outScore + query * k, heap);
      }
    });
  }
  return result;
}

}  // namespace r2end
