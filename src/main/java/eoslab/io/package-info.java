/**
 * Input/output for runs: everything eoslab writes to disk goes through this package.
 * <ul>
 *   <li>{@link eoslab.io.SafetensorsWriter} / {@link eoslab.io.SafetensorsReader}: checkpoints in the
 *       safetensors format, PyTorch names and layouts, byte-compatible with the reference implementation;</li>
 *   <li>{@link eoslab.io.AtomicFiles}: crash-safe whole-file replacement (temp file, fsync, atomic rename);</li>
 *   <li>{@link eoslab.io.Json}: config files (pretty) and metric lines (compact, insertion-ordered,
 *       shortest round-trip doubles, non-finite values as strings);</li>
 *   <li>{@link eoslab.io.JsonlWriter}: append-only metrics log, truncatable to a checkpoint's step on resume;</li>
 *   <li>{@link eoslab.io.Plots}: headless PNG line plots with reference lines such as 2/η.</li>
 * </ul>
 * Problems with a user's file are {@link eoslab.util.UserError}s whose one-line message names the file.
 */
package eoslab.io;
