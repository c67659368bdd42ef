package eoslab.dynamics.systems;

import eoslab.backend.CpuBackend;
import eoslab.tensor.DType;
import eoslab.tensor.Tensor;

/** Access to the double[] behind a CPU F64 tensor, for the small validation systems. */
final class CpuF64 {
    private CpuF64() {
    }

    static double[] array(Tensor t, long size, String what) {
        if (t.backend != CpuBackend.INSTANCE || t.dtype != DType.F64) {
            throw new IllegalArgumentException(what + " must be a CPU F64 tensor, got " + t);
        }
        if (t.size != size) throw new IllegalArgumentException(what + " must have " + size + " elements, got " + t.size);
        return (double[]) t.storage;
    }

    static int off(Tensor t) {
        return (int) t.offset;
    }
}
