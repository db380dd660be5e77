// Large zero-initialized arrays for hash tables, backed by transparent huge pages.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace shoal::exec {

/// A fixed-size array of trivially copyable T, zero-initialized. Arrays of 1 MiB
/// and more are mapped directly and advised to use transparent huge pages (random
/// probes of big hash tables otherwise miss the TLB on nearly every access); the
/// pages are returned to the system when the array is destroyed.
template <typename T>
class HugeArray {
  static_assert(std::is_trivially_copyable_v<T>, "HugeArray holds trivially copyable values");

 public:
  HugeArray() = default;
  explicit HugeArray(size_t n) { Allocate(n); }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;
  HugeArray(HugeArray&& o) noexcept { *this = std::move(o); }
  HugeArray& operator=(HugeArray&& o) noexcept {
    if (this != &o) {
      Release();
      data_ = o.data_;
      size_ = o.size_;
      map_ = o.map_;
      map_bytes_ = o.map_bytes_;
      o.data_ = nullptr;
      o.size_ = 0;
      o.map_ = nullptr;
      o.map_bytes_ = 0;
    }
    return *this;
  }
  ~HugeArray() { Release(); }

  /// Drop the old contents and hold `n` zeroed values. Returns false when out of memory.
  bool Allocate(size_t n) {
    Release();
    if (n == 0) return true;
    const size_t bytes = n * sizeof(T);
    constexpr size_t kHuge = size_t{2} << 20;
    if (bytes >= (size_t{1} << 20)) {
      map_bytes_ = bytes + kHuge;
      void* p = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
      if (p == MAP_FAILED) {
        map_bytes_ = 0;
        return false;
      }
      map_ = p;
      auto aligned = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
      madvise(reinterpret_cast<void*>(aligned), bytes, MADV_HUGEPAGE);
      data_ = reinterpret_cast<T*>(aligned);
    } else {
      data_ = static_cast<T*>(std::calloc(n, sizeof(T)));
      if (data_ == nullptr) return false;
    }
    size_ = n;
    return true;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return size_; }
  size_t bytes() const { return size_ * sizeof(T); }

 private:
  void Release() {
    if (map_ != nullptr) {
      munmap(map_, map_bytes_);
    } else if (data_ != nullptr) {
      std::free(data_);
    }
    data_ = nullptr;
    size_ = 0;
    map_ = nullptr;
    map_bytes_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;
  size_t map_bytes_ = 0;
};

}  // namespace shoal::exec
