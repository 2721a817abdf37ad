// Error checks for the CUDA runtime, cuBLAS(Lt) and NCCL. A failed call throws CudaError with the
// call, its file:line and the library's own message; the trainer turns it into a Status at its
// boundary, so a GPU fault ends the run with a reason instead of a silent wrong answer.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace slipway::kernels::cuda {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_cuda_error(const char* what, const std::string& message,
                                          const char* file, int line) {
  throw CudaError(std::string(what) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  message);
}

}  // namespace slipway::kernels::cuda

#define SLIPWAY_CUDA_CHECK(call)                                                          \
  do {                                                                                    \
    cudaError_t slipway_err_ = (call);                                                    \
    if (slipway_err_ != cudaSuccess)                                                      \
      ::slipway::kernels::cuda::throw_cuda_error(#call, cudaGetErrorString(slipway_err_), \
                                                 __FILE__, __LINE__);                     \
  } while (0)

// After a kernel launch: configuration errors surface here, not at the next unrelated call.
#define SLIPWAY_CUDA_CHECK_LAUNCH() SLIPWAY_CUDA_CHECK(cudaGetLastError())

#define SLIPWAY_CUBLAS_CHECK(call)                                                          \
  do {                                                                                      \
    cublasStatus_t slipway_st_ = (call);                                                    \
    if (slipway_st_ != CUBLAS_STATUS_SUCCESS)                                               \
      ::slipway::kernels::cuda::throw_cuda_error(#call, cublasGetStatusString(slipway_st_), \
                                                 __FILE__, __LINE__);                       \
  } while (0)
