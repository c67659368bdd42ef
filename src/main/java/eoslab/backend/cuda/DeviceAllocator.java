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
 * <p>On CUDA_ERROR_OUT_OF_MEMORY the cache is released (cuMemFree), a GC is requested so dropped
 * tensors come back, and the allocation is retried once. close() frees everything.
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

    /** A new DevicePointer of at least {@code bytes}, registered so it is recycled when unreachable. */
    DevicePointer allocate(long bytes) {
        long r = round(bytes);
        long addr = take(r);
        DevicePointer p = new DevicePointer(addr, r);
        CLEANER.register(p, () -> release(addr, r));
        return p;
    }

    private synchronized long take(long r) {
        if (closed) throw new IllegalStateException("CUDA backend is closed");
        ArrayDeque<Long> q = cache.get(r);
        Long a = q == null ? null : q.pollFirst();
        if (a != null) {
            cachedBytes -= r;
        } else {
            a = cuMemAlloc(r, true);
        }
        live.add(a);
        liveBytes += r;
        return a;
    }

    private long cuMemAlloc(long r, boolean retry) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment out = ar.allocate(JAVA_LONG);
            int st = CudaDriver.cuMemAlloc_v2(out, r);
            if (st == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY && retry) {
                releaseCache();
                System.gc();
                try {
                    Thread.sleep(50);            // let the cleaner return dropped blocks
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return retryAfterGc(r);
            }
            CudaStatus.check("cuMemAlloc_v2(" + r + " bytes)", st);
            return out.get(JAVA_LONG, 0);
        }
    }

    private long retryAfterGc(long r) {
        ArrayDeque<Long> q = cache.get(r);
        Long a = q == null ? null : q.pollFirst();
        if (a != null) {
            cachedBytes -= r;
            return a;
        }
        releaseCache();
        return cuMemAlloc(r, false);
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
