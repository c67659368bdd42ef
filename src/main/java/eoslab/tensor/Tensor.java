package eoslab.tensor;

import eoslab.backend.Backend;

/**
 * A flat, typed window onto a backend's storage: {@code size} elements starting at {@code offset}.
 * There is no Java object per element. Shapes are the caller's business and are stated where the
 * tensor is used ({@code // (N, C)}), as llm.c does; a Tensor only knows how many elements it spans.
 *
 * <p>The storage object is owned by the backend: {@code float[]}, {@code double[]} or {@code int[]}
 * on the CPU, a device pointer on CUDA. Views share storage; nothing is copied.
 */
public final class Tensor {
    public final Backend backend;
    public final DType dtype;
    /** Backend-owned storage (float[]/double[]/int[] on CPU). */
    public final Object storage;
    public final long offset;
    public final long size;

    public Tensor(Backend backend, DType dtype, Object storage, long offset, long size) {
        this.backend = backend;
        this.dtype = dtype;
        this.storage = storage;
        this.offset = offset;
        this.size = size;
    }

    /** A window of {@code len} elements starting {@code off} elements into this one. */
    public Tensor view(long off, long len) {
        if (off < 0 || len < 0 || off + len > size) {
            throw new IndexOutOfBoundsException("view [" + off + ", " + (off + len) + ") of a tensor of size " + size);
        }
        return new Tensor(backend, dtype, storage, offset + off, len);
    }

    /** Row {@code i} of a tensor seen as rows of {@code len} elements. */
    public Tensor row(long i, long len) {
        return view(i * len, len);
    }

    public int intSize() {
        if (size > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for an int size: " + size);
        return (int) size;
    }

    /** Copy to a new host double[] (any dtype). */
    public double[] toDoubles() {
        return backend.toDoubles(this);
    }

    public float[] toFloats() {
        double[] d = toDoubles();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", " + size + " @" + offset + ", " + backend.name() + ")";
    }
}
