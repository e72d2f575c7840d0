/**
 * Byte-level BPE tokenization in the GPT-2 style: {@link io.ringtrain.tokenizer.BpeTrainer} learns
 * merges from a corpus, {@link io.ringtrain.tokenizer.ByteLevelBpe} encodes, decodes and persists
 * them.
 *
 * <h2>Decisions</h2>
 * <ul>
 *   <li><b>Ids.</b> 0..255 are the bytes, merge {@code r} is id {@code 256 + r}, and
 *       {@code <|endoftext|>} is the last id, {@code vocabSize() - 1} (GPT-2's 50256 sits there
 *       too). Any byte string round-trips, UTF-8 or not. Vocabulary sizes are 257..65,535 so ids
 *       fit the uint16 token shards.
 *   <li><b>Pre-tokenization</b> is GPT-2's regex reimplemented as a byte scanner
 *       ({@link io.ringtrain.tokenizer.PreTokenizer}): invalid UTF-8 bytes are single "other"
 *       characters, {@code \s} is Unicode White_Space, and, the one deliberate departure, runs
 *       longer than 256 bytes are cut into 256-byte pieces so merging stays cheap on degenerate
 *       input. Training and encoding share the scanner, so the cut is consistent.
 *   <li><b>Training</b> counts distinct pre-tokens first (in parallel), then merges with
 *       incremental pair counts, a pair-to-words index and a lazily cleaned max-heap. Ties go to
 *       the lowest (left, right) pair, so the merges are a function of the corpus alone. A corpus
 *       that runs out of pairs yields a smaller vocabulary rather than an error.
 *   <li><b>Encoding</b> merges each piece lowest rank first, with a per-thread cache of piece to
 *       ids; {@code <|endoftext|>} never comes out of text, callers insert it between documents.
 *   <li><b>File format</b>: JSON; merges are id pairs in rank order, {@code vocab_size} and the
 *       special token's id are redundant checks that loading verifies, and any wrong field is
 *       named in a {@link io.ringtrain.tokenizer.TokenizerFormatException}:
 * </ul>
 *
 * <pre>{@code
 * {
 *   "type": "byte-level-bpe",
 *   "version": 1,
 *   "vocab_size": 4096,
 *   "pre_tokenizer": "gpt2",
 *   "special_tokens": {"<|endoftext|>": 4095},
 *   "merges": [
 *     [101, 32],
 *     [116, 104],
 *     ...
 *   ]
 * }
 * }</pre>
 *
 * <h2>Speed</h2>
 * On the 21 MB europarl demo corpus, on the shared 2-core build machine: a 4,096-token vocabulary
 * trains in about 2-5 s and encoding runs at about 30 MB/s on one thread (2.9 bytes per token);
 * {@code io.ringtrain.bench.TokenizerBench} measures it.
 */
package io.ringtrain.tokenizer;
