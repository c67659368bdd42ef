/**
 * GPT-2 (Radford et al. 2019) for edge-of-stability experiments on language models (SPEC §6: GPT-2
 * 124M from scratch; SGD / momentum / AdamW grids), written after karpathy/llm.c {@code train_gpt2.c}
 * and nanoGPT.
 * <ul>
 *   <li>{@link eoslab.gpt.GptConfig}: (vocab, maxT, layers, heads, channels); presets {@code tiny}
 *       (256, 16, 2, 2, 32) and {@code gpt2-124M} (50257, 1024, 12, 12, 768).</li>
 *   <li>{@link eoslab.gpt.Gpt2}: the model as an {@link eoslab.nn.Model} — forward, backward and the
 *       R-op of every piece, so {@code lossGradHvp} gives exact Hessian-vector products for k
 *       directions sharing one primal pass. GPT-2 parameter names; linear weights (out, in).</li>
 *   <li>{@link eoslab.gpt.TransformerKernels}: the operations the narrow Backend lacks (embeddings,
 *       LayerNorm, causal softmax with their backward and tangents); the CPU reference, and
 *       {@code kernels/transformer.cu} on CUDA ({@link eoslab.backend.cuda.CudaTransformerKernels}).</li>
 *   <li>{@link eoslab.gpt.Gpt2Checkpoint}: safetensors save/load; Hugging Face Conv1D weights are
 *       transposed on load.</li>
 *   <li>{@link eoslab.gpt.Tokenizer}: GPT-2 byte-level BPE ({@link eoslab.gpt.Gpt2Tokenizer}, files in
 *       {@code datasets/gpt2/}) or plain bytes ({@link eoslab.gpt.ByteTokenizer}).</li>
 *   <li>{@link eoslab.gpt.TextData} (90/10 token streams of a text file or folder),
 *       {@link eoslab.gpt.TextBatches} (B windows of T + 1 tokens, a pure function of (seed, step)),
 *       {@link eoslab.gpt.GptObjective} (the {@link eoslab.optim.StepLoss} optimizers step on, with gradient
 *       accumulation over micro-batches).</li>
 *   <li>{@link eoslab.gpt.GptTrainConfig} and {@link eoslab.gpt.GptTrainer}: {@code eoslab train --model
 *       gpt2|gpt-tiny} — AdamW, SGD or heavy ball on text, validation loss, top-k and (AdamW) preconditioned
 *       sharpness on a fixed batch, GPT-2-named checkpoints with the optimizer state, bit-exact resume;
 *       {@link eoslab.gpt.GptRunReport} writes the run's files.</li>
 *   <li>{@link eoslab.gpt.GptSweep}: {@code eoslab sweep} on GPT-2 (η × b, and × weight decay for AdamW)
 *       with {@link eoslab.sd.Sweep}'s report and Kendall tables. {@code eoslab lyapunov --from} takes a
 *       GPT checkpoint. See docs/gpt2.md.</li>
 * </ul>
 * Checked by float64 finite differences ({@code Gpt2FiniteDifferenceTest}) and against PyTorch
 * ({@code GptFixtureTest}; regenerate the fixture with {@code src/test/python/make_gpt_fixture.py}).
 */
package eoslab.gpt;
