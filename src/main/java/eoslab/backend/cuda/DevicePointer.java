package eoslab.backend.cuda;

/**
 * The storage of a CUDA {@link eoslab.tensor.Tensor}: a device address ({@code CUdeviceptr}) and
 * the bytes allocated there. Element offsets live in the Tensor, as on the CPU. When the last
 * Tensor viewing it becomes unreachable the block goes back to the backend's cache (a Cleaner).
 */
public record DevicePointer(long address, long bytes) {
}
