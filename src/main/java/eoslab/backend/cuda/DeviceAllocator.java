package eoslab.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Device memory for one CudaBackend: cuMemAlloc_v2 blocks, recycled through a cache keyed by
 * rounded size. Tensors carry no close(), so a block returns to the cache when its
 * {@link DevicePointer} becomes unreachable (a {@link Cleaner}); the cleaner thread only touches the
 * cache, never CUDA. Reuse is safe because every op runs in order on one stream: work queued on
 * a block before it was dropped finishes before work queued by its next owner starts (the
 * caching-allocator argument of PyTorch's single-stream case).
 *
 * <p>On CUDA_ERROR_OUT_OF_MEMORY the cache is released (cuMemFree) and the allocation retried;
 * if that fails too, a GC is requested and the allocator waits, without holding its lock, so the
 * cleaner can return the blocks of tensors that were dropped (device memory does not make the JVM
 * collect by itself), then releases the cache and tries again: {@value #GC_RETRIES} rounds, then
 * the out-of-memory error. close() frees everything.
 */
final class DeviceAllocator {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Map<Long, ArrayDeque<Long>> cache = new HashMap<>();
    private final Set<Long> live = new HashSet<>();
    private long cachedBytes, liveBytes;
    private boolean closed;

    /** Size classes: multiples of 512 B up to 1 MiB, then multiples of 1 MiB. */
    static long round(long bytes) {
        long b = Math.max(bytes, 1);
        long q = b <= (1L << 20) ? 512 : (1L << 20);
        return (b + q - 1) / q * q;
    }

    /** Rounds of GC and waiting before an out-of-memory error is final. */
    static final int GC_RETRIES = 4;

    /** A new DevicePointer of at least {@code bytes}, registered so it is recycled when unreachable. */
    DevicePointer allocate(long bytes) {
        long r = round(bytes);
        long addr = take(r, false);
        for (int round = 1; addr == 0; round++) {
            System.gc();
            try {
                Thread.sleep(25L << round);   // outside the lock: the cleaner returns dropped blocks meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            addr = take(r, round == GC_RETRIES);
        }
        DevicePointer p = new DevicePointer(addr, r);
        final long a = addr;
        CLEANER.register(p, () -> release(a, r));
        return p;
    }

    /**
     * A cached block of r bytes, or a new one (after freeing the cache if the device is full); 0 when
     * the device is out of memory and {@code last} is false, the out-of-memory error when it is true.
     */
    private synchronized long take(long r, boolean last) {
        if (closed) throw new IllegalStateException("CUDA backend is closed");
        ArrayDeque<Long> q = cache.get(r);
        Long cached = q == null ? null : q.pollFirst();
        long a;
        if (cached != null) {
            cachedBytes -= r;
            a = cached;
        } else {
            a = cuMemAlloc(r);
            if (a == 0 && cachedBytes > 0) {
                releaseCache();
                a = cuMemAlloc(r);
            }
            if (a == 0) {
                if (!last) return 0;
                CudaStatus.check("cuMemAlloc_v2(" + r + " bytes; " + liveBytes + " bytes held by live tensors)",
                        CudaDriver.CUDA_ERROR_OUT_OF_MEMORY);
            }
        }
        live.add(a);
        liveBytes += r;
        return a;
    }

    /** cuMemAlloc_v2, or 0 on CUDA_ERROR_OUT_OF_MEMORY (any other error throws). */
    private static long cuMemAlloc(long r) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment out = ar.allocate(JAVA_LONG);
            int st = CudaDriver.cuMemAlloc_v2(out, r);
            if (st == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY) return 0;
            CudaStatus.check("cuMemAlloc_v2(" + r + " bytes)", st);
            return out.get(JAVA_LONG, 0);
        }
    }

    private synchronized void release(long addr, long r) {
        if (closed || !live.remove(addr)) return;
        liveBytes -= r;
        cache.computeIfAbsent(r, k -> new ArrayDeque<>()).addLast(addr);
        cachedBytes += r;
    }

    /** cuMemFree every cached block (caller holds the lock; the context is current). */
    private void releaseCache() {
        for (Map.Entry<Long, ArrayDeque<Long>> e : cache.entrySet()) {
            for (long a : e.getValue()) CudaStatus.check("cuMemFree_v2", CudaDriver.cuMemFree_v2(a));
        }
        cache.clear();
        cachedBytes = 0;
    }

    synchronized long liveBytes() {
        return liveBytes;
    }

    synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Free everything; later releases by the cleaner are ignored. */
    synchronized void close() {
        if (closed) return;
        closed = true;
        releaseCache();
        for (long a : live) CudaDriver.cuMemFree_v2(a);   // best effort: the context is going away anyway
        live.clear();
        liveBytes = 0;
    }
}
