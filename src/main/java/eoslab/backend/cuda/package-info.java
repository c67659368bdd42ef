/**
 * The CUDA backend: {@link eoslab.backend.cuda.CudaBackend} implements {@link eoslab.backend.Backend}
 * on one NVIDIA GPU with Panama FFM bindings (no JNI): {@link eoslab.backend.cuda.CudaDriver}
 * (libcuda.so.1), {@link eoslab.backend.cuda.Cublas} (libcublas.so.13),
 * {@link eoslab.backend.cuda.Cusolver} (libcusolver), {@link eoslab.backend.cuda.CublasLt} (libcublasLt, optional:
 * the bias epilogue of linear layers with -Deoslab.cuda.lt=true). Every status goes through
 * {@link eoslab.backend.cuda.CudaStatus#check}. Kernels for everything cuBLAS does not do are in
 * {@code kernels/eoslab.cu} (and the GPT-2 kernels of {@code kernels/transformer.cu} it includes,
 * {@link eoslab.backend.cuda.CudaTransformerKernels}), compiled at build time by {@code native/build-kernels.sh} into the jar
 * resource {@code /eoslab/kernels.fatbin} (sm_80 and sm_90 SASS plus compute_90 PTX); a build
 * without nvcc is CPU only and {@code --device cuda} says so.
 *
 * <p>Choosing the device: {@link eoslab.backend.Backends#select} ("cpu", "cuda", "cuda:N",
 * "auto"), logged. Checking it: {@link eoslab.backend.cuda.CudaDoctor} (environment report and a
 * parity run of every op against CpuBackend, {@link eoslab.backend.cuda.CudaParity}).
 *
 * <p>Tests: CudaBackendParityTest runs the parity suite on a GPU (skipped elsewhere);
 * CudaEmulatorTest runs the same suite through a host emulator of libcuda/libcublas
 * ({@code native/emulator}) so the bindings, launches and GEMM mapping are exercised on every
 * machine with nvcc and g++.
 */
package eoslab.backend.cuda;
